import type { CommandAccepted, CommandMetadata, EventMetadata, RejectionCode } from '@chat/contracts';
import {
  DuplicateEventIdError,
  type EventStore,
  formatPosition,
  type EventToAppend,
  mediaUrlsFromEnv,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '@chat/runtime';
import type { Decider } from '../domain/decider';
import { eventIdFor } from './event-ids';
import { type CachedStream, RecentCommands, StateCache } from './state-cache';

export type AcceptedResult = CommandAccepted['result'];

/** What a command of a handled group came to; the transport turns it into a result message. */
export type Outcome =
  | {
      readonly kind: 'accepted';
      readonly result: AcceptedResult;
      readonly eventCount: number;
      /** Where its events are in the store (formatPosition); absent when it appended nothing. */
      readonly position?: string;
    }
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

/** A command the handler accepted, with the events it decided. */
export interface Decided<C, E> {
  readonly command: C;
  readonly events: readonly E[];
}

/** How one kind of stream (conversation, user) is handled: its decider and how to read it. */
export interface StreamKind<C extends HandledCommand, E extends DomainEventShape, S> {
  readonly decider: Decider<C, E, S, AcceptedResult>;
  /** Turns a stored event back into a domain event (parsing and upcasting it). */
  readonly toEvent: (recorded: RecordedEvent) => E;
  /** The answer to a command this stream already took: what its first delivery answered. */
  readonly duplicateResult: (command: C) => AcceptedResult;
  /**
   * Commands that follow from what a group decided and join its append, so their events
   * commit with the events they follow from: a message sent while a recipient is online is
   * delivered in the same transaction. Given each accepted command with its events, and the
   * state after them; the commands it answers are decided next on that state (a rejection
   * appends nothing and is no one's answer). Each needs a command id of its own derived from
   * the command it follows, so a redelivery decides the same events.
   */
  readonly followUps?: (decided: readonly Decided<C, E>[], state: S) => Promise<readonly C[]>;
  /** Snapshots of the state, so a long stream loads from its latest snapshot plus the rest. */
  readonly snapshots?: {
    readonly serialize: (state: S) => unknown;
    /** Throws on a snapshot it cannot read; the stream is then folded from its start. */
    readonly deserialize: (json: unknown) => S;
    /** Events between snapshots. */
    readonly every: number;
  };
}

const SNAPSHOT_EVENT_TYPE = 'StateSnapshot';

/** Snapshots live in a stream of their own beside the stream they summarise. */
export function snapshotStreamOf(streamName: string): string {
  return `snapshot-${streamName}`;
}

interface SnapshotData {
  readonly revision: string;
  readonly state: unknown;
  readonly recentCommands: string[];
}

export interface CommandHandlerOptions {
  readonly store: EventStore;
  readonly now?: () => Date;
  /** Which media urls messages may carry; by default the environment's (MEDIA_* variables). */
  readonly mediaUrlAllowed?: (url: string) => boolean;
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
  private readonly mediaUrlAllowed: (url: string) => boolean;
  private readonly cache: StateCache;
  private readonly recentCommandWindow: number;
  private readonly maxConflictRetries: number;
  private readonly readPageSize: number;
  /** The tail of each stream's queue of calls. */
  private readonly streamQueues = new Map<string, Promise<void>>();

  constructor(options: CommandHandlerOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    if (options.mediaUrlAllowed) this.mediaUrlAllowed = options.mediaUrlAllowed;
    else {
      const mediaUrls = mediaUrlsFromEnv();
      this.mediaUrlAllowed = (url) => mediaUrls.isAllowed(url);
    }
    this.cache = new StateCache(options.cacheWeight ?? 2_000_000);
    this.recentCommandWindow = options.recentCommandWindow ?? 1000;
    this.maxConflictRetries = options.maxConflictRetries ?? 10;
    this.readPageSize = options.readPageSize ?? 2000;
  }

  /**
   * Calls for one stream run one at a time (they share its cached state, which deciding
   * evolves); calls for different streams run side by side.
   */
  handle<C extends HandledCommand, E extends DomainEventShape, S>(
    kind: StreamKind<C, E, S>,
    streamName: string,
    commands: readonly C[],
  ): Promise<Outcome[]> {
    const previous = this.streamQueues.get(streamName) ?? Promise.resolve();
    const result = previous.then(() => this.handleNow(kind, streamName, commands));
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.streamQueues.set(streamName, settled);
    void settled.then(() => {
      if (this.streamQueues.get(streamName) === settled) this.streamQueues.delete(streamName);
    });
    return result;
  }

  private async handleNow<C extends HandledCommand, E extends DomainEventShape, S>(
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
      const decided: Decided<C, E>[] = [];
      const decide = (command: C): Outcome => {
        const decision = kind.decider.decide(command, entry.state, { now, mediaUrlAllowed: this.mediaUrlAllowed });
        if (decision.kind === 'rejected') return { kind: 'rejected', code: decision.code, message: decision.message };
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
        if (decision.events.length > 0) {
          appendedBy.push(command.commandId);
          decided.push({ command, events: decision.events });
        }
        return { kind: 'accepted', result: decision.result, eventCount: decision.events.length };
      };
      for (const command of commands) {
        if (entry.recentCommands.has(command.commandId)) {
          outcomes.push({ kind: 'accepted', result: kind.duplicateResult(command), eventCount: 0 });
          continue;
        }
        outcomes.push(decide(command));
      }
      if (kind.followUps && decided.length > 0) {
        for (const command of await kind.followUps(decided, entry.state)) {
          if (!entry.recentCommands.has(command.commandId)) decide(command);
        }
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
          entry.sinceSnapshot += toAppend.length;
          for (const commandId of appendedBy) entry.recentCommands.add(commandId);
          this.cache.grew(streamName, toAppend.length);
          if (kind.snapshots && entry.sinceSnapshot >= kind.snapshots.every) {
            this.snapshot(kind, streamName, entry, toAppend[toAppend.length - 1]?.metadata);
          }
        }
        // The group is one append: its position is where every accepted command's events are.
        const position = formatPosition(result.position);
        return outcomes.map((outcome) => (outcome.kind === 'accepted' && outcome.eventCount > 0 ? { ...outcome, position } : outcome));
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
      sinceSnapshot: 0,
      recentCommands: new RecentCommands(this.recentCommandWindow),
    };
    await this.restoreSnapshot(kind, streamName, entry);
    let from = entry.revision === undefined ? 0n : entry.revision + 1n;
    for (;;) {
      const page = await this.store.readStream(streamName, { fromRevision: from, maxCount: this.readPageSize });
      for (const recorded of page) {
        entry.state = kind.decider.evolve(entry.state, kind.toEvent(recorded));
        entry.revision = recorded.revision;
        entry.recentCommands.add(recorded.metadata.commandId);
      }
      entry.eventCount += page.length;
      entry.sinceSnapshot += page.length;
      if (page.length < this.readPageSize) break;
      from = (entry.revision ?? -1n) + 1n;
    }
    this.cache.set(streamName, entry);
    return entry;
  }

  private async restoreSnapshot<C extends HandledCommand, E extends DomainEventShape, S>(
    kind: StreamKind<C, E, S>,
    streamName: string,
    entry: CachedStream<S>,
  ): Promise<void> {
    if (!kind.snapshots) return;
    const [latest] = await this.store.readStream(snapshotStreamOf(streamName), { direction: 'backwards', maxCount: 1 });
    if (!latest) return;
    try {
      const data = latest.data as SnapshotData;
      entry.state = kind.snapshots.deserialize(data.state);
      entry.revision = BigInt(data.revision);
      for (const commandId of data.recentCommands) entry.recentCommands.add(commandId);
    } catch {
      // An unreadable snapshot (an older shape) only costs a full fold.
      entry.state = kind.decider.initialState();
      entry.revision = undefined;
    }
  }

  /**
   * Serialises now, while the state matches `entry.revision`, and stores it in the background:
   * a lost snapshot only means a longer load later, so it never delays the command.
   */
  private snapshot<C extends HandledCommand, E extends DomainEventShape, S>(
    kind: StreamKind<C, E, S>,
    streamName: string,
    entry: CachedStream<S>,
    metadata: EventMetadata | undefined,
  ): void {
    if (!kind.snapshots || entry.revision === undefined || !metadata) return;
    const data: SnapshotData = {
      revision: entry.revision.toString(),
      state: kind.snapshots.serialize(entry.state),
      recentCommands: entry.recentCommands.list(),
    };
    entry.sinceSnapshot = 0;
    const snapshotId = eventIdFor(metadata.commandId, 1_000_000);
    this.store
      .appendToStream(
        snapshotStreamOf(streamName),
        [{ id: snapshotId, type: SNAPSHOT_EVENT_TYPE, data, metadata: { ...metadata, schemaVersion: 1 } }],
        { expectedRevision: 'any' },
      )
      .catch((err: unknown) => this.onSnapshotError?.(streamName, err));
  }

  /** Called when a snapshot could not be stored (the service logs it). */
  onSnapshotError: ((streamName: string, error: unknown) => void) | undefined;
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
