import type { EventMetadata } from '@chat/contracts';

/**
 * The event store port: the system's source of truth. Two adapters implement it
 * (PostgreSQL, EventStoreDB/KurrentDB) and pass one contract test suite
 * (event-store.contract.ts). Nothing above this interface knows which one runs.
 */

/**
 * Where an event sits in the store as a whole. A pair, as EventStoreDB has it, because the
 * PostgreSQL adapter orders "all events" by (commit transaction, sequence) rather than by a
 * sequence alone: a sequence number is taken before its transaction commits, so a reader
 * that trusted it alone could pass a lower number that commits later and never see it.
 * Compare with {@link comparePositions}; only ever resume from a position this store gave.
 */
export interface GlobalPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const startOfAll: GlobalPosition = { commit: -1n, prepare: -1n };

export function comparePositions(a: GlobalPosition, b: GlobalPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Positions as text (checkpoints in MongoDB, logs): `<commit>/<prepare>`. */
export function formatPosition(position: GlobalPosition): string {
  return `${position.commit}/${position.prepare}`;
}

export function parsePosition(text: string): GlobalPosition {
  const match = /^(-?\d+)\/(-?\d+)$/.exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`not a global position: '${text}'`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

/**
 * The revision a writer expects the stream to be at. `no_stream`: it must not exist;
 * `stream_exists`: it must exist; `any`: no check; a bigint: the revision of its last event
 * (revisions start at 0).
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface EventToAppend<Data = unknown> {
  /** A UUID. Derived from the command id by writers, so a retried append is recognisable. */
  readonly id: string;
  readonly type: string;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent<Data = unknown> {
  readonly id: string;
  readonly streamName: string;
  readonly revision: bigint;
  readonly position: GlobalPosition;
  readonly type: string;
  readonly data: Data;
  readonly metadata: EventMetadata;
  /** When the store wrote it. */
  readonly createdAt: Date;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  readonly streamName: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
}

/** What became of one stream's part: its result, or the error appendToStream would have thrown. */
export type StreamAppendOutcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: unknown };

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next expected revision. */
  readonly nextExpectedRevision: bigint;
  readonly position: GlobalPosition;
  /**
   * True when these exact events (same ids, same order) were already in the stream right
   * after the expected revision: nothing was written, and the result describes that earlier
   * append. This is what makes a redelivered command's append harmless.
   */
  readonly alreadyAppended: boolean;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** The stream's current revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamName}: expected revision ${String(expected)}, but it is at ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** An event id that exists already, but not as part of the same append. */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamName: string,
    readonly eventId: string,
  ) {
    super(`stream ${streamName}: event id ${eventId} was already used by another append`);
    this.name = 'DuplicateEventIdError';
  }
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive. Default: the first event forwards, the last event backwards. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

/** Which events a reader of "all" wants; an event passes when it matches every given list. */
export interface AllFilter {
  readonly streamPrefixes?: readonly string[];
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: events after this position. Default: from the very start. */
  readonly after?: GlobalPosition;
  readonly maxCount?: number;
  readonly filter?: AllFilter;
}

export interface SubscribeToAllOptions {
  /** Exclusive: delivers events after this position (a stored checkpoint). Default: the start. */
  readonly after?: GlobalPosition;
  readonly filter?: AllFilter;
  /**
   * Called once per event, in position order, each event exactly once while the
   * subscription lives; the next call waits for the returned promise. A throw stops the
   * subscription and reaches `onError`.
   */
  readonly onEvent: (event: RecordedEvent) => Promise<void>;
  readonly onError?: (error: unknown) => void;
  /**
   * Least time between two reads once caught up (PostgreSQL, which reads when woken by an
   * append; KurrentDB pushes and ignores it): a subscriber that batches what it gets anyway,
   * like the analysts' export, reads once per interval instead of once per append. Default 0.
   */
  readonly readIntervalMs?: number;
}

export interface Subscription {
  /** The position of the last event delivered, or where it started. */
  readonly position: GlobalPosition;
  /** Stops delivering; resolves after the event in progress (if any) is done. */
  close(): Promise<void>;
}

export interface EventStore {
  appendToStream(
    streamName: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /** A missing stream reads as no events. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The stream's last revision, or undefined when it has no events. */
  streamRevision(streamName: string): Promise<bigint | undefined>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The position of the newest event in the store (`startOfAll` when empty): for lag. */
  headPosition(): Promise<GlobalPosition>;
  /** Catches up from `after`, then follows live appends, pushed, not polled slowly. */
  subscribeToAll(options: SubscribeToAllOptions): Promise<Subscription>;
  close(): Promise<void>;
}
