import type { EventMetadata } from '@chat/contracts';
import {
  ANY,
  type AllStreamResolvedEvent,
  type AppendStreamState,
  BACKWARDS,
  END,
  type EventData,
  FORWARDS,
  type Filter,
  type JSONType,
  KurrentDBClient,
  NO_STREAM,
  type Position,
  type ReadPosition,
  type RecordedEvent as KurrentRecordedEvent,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import { matchesFilter, validateAppend, validateFilter, validateMaxCount } from './append-validation';
import {
  type AllFilter,
  type AppendResult,
  comparePositions,
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  startOfAll,
  type SubscribeToAllOptions,
  type Subscription,
  WrongExpectedRevisionError,
} from './event-store';

/**
 * The event store port on EventStoreDB / KurrentDB, through the official client (1.x).
 *
 * What the server does for us: optimistic concurrency (`streamState`), idempotent appends
 * (the same event ids right after the expected revision are acknowledged, not written
 * again), the global order and live subscriptions. What it does not, and this adapter adds:
 *
 *   - telling a retried append from a first one. The server answers both the same way, so
 *     the adapter reads the stream's last revision first (one small read per append): an
 *     append whose resulting revision is not beyond that was already there. Two identical
 *     appends racing each other may both report `alreadyAppended: false`; harmless.
 *   - DuplicateEventIdError. The server refuses a partly matching retry with a wrong
 *     expected version; the adapter then reads the revisions the append aimed at and, when
 *     one of its ids is there, reports the reuse. KurrentDB does not keep ids unique across
 *     the store: an id reused at the current revision, or in another stream, is written
 *     (the PostgreSQL adapter refuses both). Writers derive ids from command ids, so that
 *     only happens if a command is decided twice against different states.
 *   - system events (`$`-prefixed types and streams) never reach our readers.
 *
 * Needs KurrentDB / EventStoreDB 22.6 or later (events carry their position when read from a
 * stream).
 */
export class KurrentDbEventStore implements EventStore {
  private readonly client: KurrentDBClient;
  private readonly ownsClient: boolean;
  private readonly subscriptions = new Set<KurrentSubscription>();
  private closed = false;

  constructor(connection: KurrentDBClient | string) {
    if (typeof connection === 'string') {
      this.client = KurrentDBClient.connectionString(connection);
      this.ownsClient = true;
    } else {
      this.client = connection;
      this.ownsClient = false;
    }
  }

  async appendToStream(
    streamName: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const expected = options.expectedRevision;
    validateAppend(streamName, events, expected);
    const before = await this.streamRevision(streamName);
    const proposed: EventData[] = events.map((event) =>
      jsonEvent({
        // Always ours: a client-generated id would make every retry a new event.
        id: event.id,
        type: event.type,
        // The client JSON-encodes whatever it is given; its JSONType is narrower than JSON.
        data: (event.data ?? null) as JSONType,
        metadata: event.metadata,
      }),
    );
    try {
      const result = await this.client.appendToStream(streamName, proposed, { streamState: toStreamState(expected) });
      if (!result.success) {
        // A client built with throwOnAppendFailure: false reports the conflict instead of
        // throwing it, with an unreliable revision; ask the stream.
        throw await this.explainConflict(streamName, events, expected, (await this.streamRevision(streamName)) ?? 'no_stream');
      }
      const alreadyAppended = before !== undefined && result.nextExpectedRevision <= before;
      // A retried append is described by its events as stored, whatever position the server
      // reports for an idempotent write (none, or that of the original, depending on version).
      const position =
        alreadyAppended || result.position === undefined
          ? await this.positionOf(streamName, result.nextExpectedRevision)
          : toGlobalPosition(result.position);
      return { nextExpectedRevision: result.nextExpectedRevision, position, alreadyAppended };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) throw await this.explainConflict(streamName, events, expected, error.actualState);
      throw error;
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateMaxCount(options.maxCount);
    if (options.maxCount === 0) return [];
    const backwards = options.direction === 'backwards';
    const fromRevision = options.fromRevision ?? (backwards ? END : START);
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamName, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision,
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      })) {
        if (resolved.event) events.push(toRecorded(resolved.event));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async streamRevision(streamName: string): Promise<bigint | undefined> {
    const [last] = await this.readStream(streamName, { direction: 'backwards', maxCount: 1 });
    return last?.revision;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    validateMaxCount(options.maxCount);
    validateFilter(options.filter);
    const after = options.after ?? startOfAll;
    const { maxCount, filter } = options;
    if (maxCount === 0) return [];
    const events: RecordedEvent[] = [];
    // Reading $all from a position includes the event at it; ours is exclusive. Unbounded
    // read, stopped early: the client-side checks below make a server-side count unreliable.
    for await (const resolved of this.client.readAll({ fromPosition: toReadPosition(after), filter: serverFilter(filter) })) {
      const event = ourEvent(resolved, filter);
      if (!event || comparePositions(event.position, after) <= 0) continue;
      events.push(event);
      if (maxCount !== undefined && events.length >= maxCount) break;
    }
    return events;
  }

  async headPosition(): Promise<GlobalPosition> {
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
      filter: excludeSystemEvents(),
    })) {
      if (resolved.event) return toRecorded(resolved.event).position;
    }
    return startOfAll;
  }

  async subscribeToAll(options: SubscribeToAllOptions): Promise<Subscription> {
    if (this.closed) throw new Error('subscribeToAll: the event store is closed');
    validateFilter(options.filter);
    const subscription = new KurrentSubscription(this.client, options, (closed) => this.subscriptions.delete(closed));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.ownsClient) await this.client.dispose();
  }

  private async positionOf(streamName: string, revision: bigint): Promise<GlobalPosition> {
    const [event] = await this.readStream(streamName, { fromRevision: revision, maxCount: 1 });
    if (!event) throw new Error(`stream ${streamName}: revision ${revision} reported by the server cannot be read`);
    return event.position;
  }

  /** The server's wrong expected version, told apart from a reused event id. */
  private async explainConflict(
    streamName: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    actual: bigint | 'no_stream',
  ): Promise<Error> {
    const aimedAt = expected === 'no_stream' ? 0n : typeof expected === 'bigint' ? expected + 1n : undefined;
    if (aimedAt !== undefined && actual !== 'no_stream' && actual >= aimedAt) {
      const there = new Set(
        (await this.readStream(streamName, { fromRevision: aimedAt, maxCount: events.length })).map((event) => event.id.toLowerCase()),
      );
      const reused = events.find((event) => there.has(event.id.toLowerCase()));
      if (reused) return new DuplicateEventIdError(streamName, reused.id);
    }
    return new WrongExpectedRevisionError(streamName, expected, actual);
  }
}

/**
 * Iterates the client's catch-up subscription (which itself switches to live), awaiting
 * onEvent for each event, so the stream's backpressure keeps delivery one at a time.
 */
class KurrentSubscription implements Subscription {
  private current: GlobalPosition;
  private closed = false;
  private readonly stream: ReturnType<KurrentDBClient['subscribeToAll']>;
  private readonly running: Promise<void>;

  constructor(
    client: KurrentDBClient,
    private readonly options: SubscribeToAllOptions,
    private readonly onClosed: (subscription: KurrentSubscription) => void,
  ) {
    const after = options.after ?? startOfAll;
    this.current = after;
    // The start position is exclusive, as ours is.
    this.stream = client.subscribeToAll({ fromPosition: toReadPosition(after), filter: serverFilter(options.filter) });
    this.running = this.run(after);
  }

  get position(): GlobalPosition {
    return this.current;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.stream.unsubscribe().catch(() => undefined);
    }
    await this.running;
    this.onClosed(this);
  }

  private async run(after: GlobalPosition): Promise<void> {
    try {
      for await (const resolved of this.stream) {
        if (this.closed) break;
        const event = ourEvent(resolved, this.options.filter);
        if (!event || comparePositions(event.position, after) <= 0) continue;
        await this.options.onEvent(event);
        this.current = event.position;
      }
    } catch (error) {
      if (this.closed) return;
      this.closed = true;
      await this.stream.unsubscribe().catch(() => undefined);
      this.options.onError?.(error);
    }
  }
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  // The client's constants, never string literals: a misspelt state silently means ANY.
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
}

function toReadPosition(after: GlobalPosition): ReadPosition {
  return after.commit < 0n ? START : { commit: after.commit, prepare: after.prepare };
}

function toGlobalPosition(position: Position): GlobalPosition {
  return { commit: position.commit, prepare: position.prepare };
}

/**
 * The server filters on one thing (stream name or event type); the other list, and system
 * events, are checked here. Event types are matched exactly: the client's prefix filter would
 * also pass `MessageSentV2` for `MessageSent`.
 */
function serverFilter(filter: AllFilter | undefined): Filter {
  if (filter?.streamPrefixes) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  if (filter?.eventTypes) return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` });
  return excludeSystemEvents();
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ourEvent(resolved: AllStreamResolvedEvent, filter: AllFilter | undefined): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  if (!matchesFilter(event.streamId, event.type, filter)) return undefined;
  return toRecorded(event);
}

function toRecorded(event: KurrentRecordedEvent): RecordedEvent {
  if (!event.position) {
    throw new Error(`event ${event.id} in ${event.streamId} has no position: KurrentDB/EventStoreDB 22.6 or later is required`);
  }
  return {
    id: event.id,
    streamName: event.streamId,
    revision: event.revision,
    position: toGlobalPosition(event.position),
    type: event.type,
    data: event.data,
    // Written through validateAppend by this adapter.
    metadata: event.metadata as EventMetadata,
    createdAt: event.created,
  };
}
