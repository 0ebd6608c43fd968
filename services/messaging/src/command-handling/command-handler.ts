import type { CommandAccepted, CommandMetadata, EventMetadata, RejectionCode } from '@chat/contracts';
import {
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '@chat/runtime';
import type { Decider } from '../domain/decider';
import { eventIdFor } from './event-ids';
import { type CachedStream, RecentCommands, StateCache } from './state-cache';

export type AcceptedResult = CommandAccepted['result'];

/** What a command of a handled group came to; the transport turns it into a result message. */
export type Outcome =
  | { readonly kind: 'accepted'; readonly result: AcceptedResult; readonly eventCount: number }
  | { readonly kind: 'rejected'; readonly code: RejectionCode; readonly message: string };

interface HandledCommand {
  readonly type: string;
  readonly version: number;
  readonly commandId: string;
  readonly metadata: CommandMetadata;
}

interface DomainEventShape {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
}

/** How one kind of stream (conversation, user) is handled: its decider and how to read it. */
export interface StreamKind<C extends HandledCommand, E extends DomainEventShape, S> {
  readonly decider: Decider<C, E, S, AcceptedResult>;
  /** Turns a stored event back into a domain event (parsing and upcasting it). */
  readonly toEvent: (recorded: RecordedEvent) => E;
  /** The answer to a command this stream already took: what its first delivery answered. */
  readonly duplicateResult: (command: C) => AcceptedResult;
}

export interface CommandHandlerOptions {
  readonly store: EventStore;
  readonly now?: () => Date;
  /** Total events the cache may hold across streams. */
  readonly cacheWeight?: number;
  /** Command ids remembered per stream for redelivery detection. */
  readonly recentCommandWindow?: number;
  /** Re-decisions after a concurrent writer won the append race. */
  readonly maxConflictRetries?: number;
  /** Page size when loading a stream. */
  readonly readPageSize?: number;
}

/**
 * The one command handler of the write side (Emmett's shape): take the stream's state from
 * the cache or load it, decide, append with the expected revision, and on a conflict drop the
 * cache entry and decide again against what the store now holds.
 *
 * It takes a group of commands for one stream (the commands of one Kafka batch with the
 * same key, in order) and appends all their events at once: one round trip to the store for
 * the group, and the commands are still decided one after another on the evolving state.
 *
 * Exactly-once effect: every event id derives from its command id, and each stream
 * remembers the command ids it took recently (from its events when loaded), so a command
 * delivered again appends nothing and answers as it did the first time.
 */
export class CommandHandler {
  private readonly store: EventStore;
  private readonly now: () => Date;
  private readonly cache: StateCache;
  private readonly recentCommandWindow: number;
  private readonly maxConflictRetries: number;
  private readonly readPageSize: number;

  constructor(options: CommandHandlerOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.cache = new StateCache(options.cacheWeight ?? 2_000_000);
    this.recentCommandWindow = options.recentCommandWindow ?? 1000;
    this.maxConflictRetries = options.maxConflictRetries ?? 10;
    this.readPageSize = options.readPageSize ?? 2000;
  }

  async handle<C extends HandledCommand, E extends DomainEventShape, S>(
    kind: StreamKind<C, E, S>,
    streamName: string,
    commands: readonly C[],
  ): Promise<Outcome[]> {
    for (let attempt = 0; ; attempt++) {
      const entry = this.cache.get<S>(streamName) ?? (await this.load(kind, streamName));
      const now = this.now();
      const outcomes: Outcome[] = [];
      const toAppend: EventToAppend[] = [];
      const appendedBy: string[] = [];
      for (const command of commands) {
        if (entry.recentCommands.has(command.commandId)) {
          outcomes.push({ kind: 'accepted', result: kind.duplicateResult(command), eventCount: 0 });
          continue;
        }
        const decision = kind.decider.decide(command, entry.state, { now });
        if (decision.kind === 'rejected') {
          outcomes.push({ kind: 'rejected', code: decision.code, message: decision.message });
          continue;
        }
        decision.events.forEach((event, index) => {
          toAppend.push({
            id: eventIdFor(command.commandId, index),
            type: event.type,
            data: event.data,
            metadata: eventMetadata(command, event, now),
          });
          // Later commands of the group are decided on the state these events make.
          entry.state = kind.decider.evolve(entry.state, event);
        });
        if (decision.events.length > 0) appendedBy.push(command.commandId);
        outcomes.push({ kind: 'accepted', result: decision.result, eventCount: decision.events.length });
      }
      if (toAppend.length === 0) return outcomes;

      try {
        const result = await this.store.appendToStream(streamName, toAppend, {
          expectedRevision: entry.revision ?? 'no_stream',
        });
        if (result.alreadyAppended) {
          // Our cache had not seen an append that is in the store: do not trust it further.
          this.cache.delete(streamName);
        } else {
          entry.revision = result.nextExpectedRevision;
          entry.eventCount += toAppend.length;
          for (const commandId of appendedBy) entry.recentCommands.add(commandId);
          this.cache.grew(streamName, toAppend.length);
        }
        return outcomes;
      } catch (err) {
        // The state was evolved optimistically; whatever happened, it is no longer the store's.
        this.cache.delete(streamName);
        const conflict = err instanceof WrongExpectedRevisionError || err instanceof DuplicateEventIdError;
        if (!conflict || attempt >= this.maxConflictRetries) throw err;
      }
    }
  }

  /** Drops every cached stream: partitions moved, so other instances may write them now. */
  forgetAll(): void {
    this.cache.clear();
  }

  private async load<C extends HandledCommand, E extends DomainEventShape, S>(
    kind: StreamKind<C, E, S>,
    streamName: string,
  ): Promise<CachedStream<S>> {
    const entry: CachedStream<S> = {
      state: kind.decider.initialState(),
      revision: undefined,
      eventCount: 0,
      recentCommands: new RecentCommands(this.recentCommandWindow),
    };
    let from = 0n;
    for (;;) {
      const page = await this.store.readStream(streamName, { fromRevision: from, maxCount: this.readPageSize });
      for (const recorded of page) {
        entry.state = kind.decider.evolve(entry.state, kind.toEvent(recorded));
        entry.revision = recorded.revision;
        entry.recentCommands.add(recorded.metadata.commandId);
      }
      entry.eventCount += page.length;
      if (page.length < this.readPageSize) break;
      from = (entry.revision ?? -1n) + 1n;
    }
    this.cache.set(streamName, entry);
    return entry;
  }
}

function eventMetadata(command: HandledCommand, event: DomainEventShape, now: Date): EventMetadata {
  const m = command.metadata;
  return {
    commandId: command.commandId,
    correlationId: m.correlationId,
    causationId: command.commandId,
    userId: m.userId,
    ...(m.gatewayId === undefined ? {} : { gatewayId: m.gatewayId }),
    ...(m.socketId === undefined ? {} : { socketId: m.socketId }),
    ...(m.traceparent === undefined ? {} : { traceparent: m.traceparent }),
    ...(m.tracestate === undefined ? {} : { tracestate: m.tracestate }),
    schemaVersion: event.version,
    occurredAt: now.toISOString(),
  };
}
