import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@chat/contracts';
import {
  comparePositions,
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalPosition,
  type RecordedEvent,
  startOfAll,
  type Subscription,
  WrongExpectedRevisionError,
} from './event-store';

/**
 * The behaviour every event store adapter must have, registered as jest tests. Each adapter's
 * int spec calls this with a factory; where its server is unavailable it passes the reason,
 * and the suite is reported as skipped with that reason in its name.
 *
 * The database is shared with other test files running at the same time, so every test
 * writes to streams of its own (a random prefix) and reads "all" through a prefix filter.
 * Reads of "all" may trail an append for a moment (the PostgreSQL store only shows events
 * once every older transaction has finished), hence `eventually` there.
 */
export function describeEventStoreContract(name: string, factory: () => Promise<EventStore>, skipReason?: string): void {
  const suite = skipReason === undefined ? describe : describe.skip;

  suite(`${name}: event store contract${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
    let store: EventStore;
    const opened: Subscription[] = [];

    beforeAll(async () => {
      store = await factory();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((subscription) => subscription.close()));
    });

    afterAll(async () => {
      await store?.close();
    });

    const prefix = (): string => `contract-${randomUUID()}-`;

    describe('appendToStream', () => {
      it('creates a stream with no_stream and reads back exactly what was appended', async () => {
        const stream = `${prefix()}s`;
        const events = [event('ThingHappened', { n: 1, nested: { list: [1, 'two', null] } }), event('OtherThingHappened', { n: 2 })];

        const result = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });

        expect(result.nextExpectedRevision).toBe(1n);
        expect(result.alreadyAppended).toBe(false);
        const read = await store.readStream(stream);
        expect(read.map((e) => [e.id, e.streamName, e.revision, e.type, e.data, e.metadata])).toEqual(
          events.map((e, i) => [e.id, stream, BigInt(i), e.type, e.data, e.metadata]),
        );
        for (const recorded of read) expect(recorded.createdAt).toBeInstanceOf(Date);
        expect(comparePositions(required(read[0]).position, required(read[1]).position)).toBe(-1);
        expect(await store.streamRevision(stream)).toBe(1n);
      });

      it('continues a stream at its exact revision, and with stream_exists and any', async () => {
        const stream = `${prefix()}s`;
        await store.appendToStream(stream, [event('A')], { expectedRevision: 'no_stream' });

        expect((await store.appendToStream(stream, [event('B')], { expectedRevision: 0n })).nextExpectedRevision).toBe(1n);
        expect((await store.appendToStream(stream, [event('C')], { expectedRevision: 'stream_exists' })).nextExpectedRevision).toBe(2n);
        expect((await store.appendToStream(stream, [event('D'), event('E')], { expectedRevision: 'any' })).nextExpectedRevision).toBe(4n);
        expect((await store.appendToStream(`${prefix()}new`, [event('F')], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);

        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E']);
      });

      it.each<{ case: string; existing: number; expected: ExpectedRevision; actual: bigint | 'no_stream' }>([
        { case: 'no_stream, but the stream exists', existing: 2, expected: 'no_stream', actual: 1n },
        { case: 'stream_exists, but there is no stream', existing: 0, expected: 'stream_exists', actual: 'no_stream' },
        { case: 'an exact revision, but there is no stream', existing: 0, expected: 0n, actual: 'no_stream' },
        { case: 'an exact revision behind the stream', existing: 2, expected: 0n, actual: 1n },
        { case: 'an exact revision ahead of the stream', existing: 2, expected: 5n, actual: 1n },
      ])('refuses $case with WrongExpectedRevisionError and the actual revision', async ({ existing, expected, actual }) => {
        const stream = `${prefix()}s`;
        if (existing > 0) {
          await store.appendToStream(
            stream,
            Array.from({ length: existing }, () => event('Existing')),
            { expectedRevision: 'no_stream' },
          );
        }
        const attempt = store.appendToStream(stream, [event('Refused')], { expectedRevision: expected });

        const error = await attempt.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamName: stream, expected, actual });
        expect(await store.readStream(stream)).toHaveLength(existing);
      });

      it('lets exactly one of many concurrent writers at the same revision win', async () => {
        const stream = `${prefix()}s`;
        await store.appendToStream(stream, [event('Start')], { expectedRevision: 'no_stream' });

        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.appendToStream(stream, [event('Raced', { i })], { expectedRevision: 0n })),
        );

        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const loss of lost) {
          expect(loss.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(loss.reason).toMatchObject({ actual: 1n });
        }
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('acknowledges a retried append (same ids, same order, same expectation) without writing it again', async () => {
        const stream = `${prefix()}s`;
        const first = [event('A'), event('B')];
        const original = await store.appendToStream(stream, first, { expectedRevision: 'no_stream' });
        const stored = await store.readStream(stream);

        const retried = await store.appendToStream(stream, first, { expectedRevision: 'no_stream' });

        expect(retried).toEqual({
          nextExpectedRevision: original.nextExpectedRevision,
          position: required(stored[1]).position,
          alreadyAppended: true,
        });
        expect(await store.readStream(stream)).toEqual(stored);

        // Still recognised once the stream has moved on, and with an exact revision or 'any'.
        const next = [event('C')];
        await store.appendToStream(stream, next, { expectedRevision: 1n });
        expect(await store.appendToStream(stream, first, { expectedRevision: 'no_stream' })).toMatchObject({
          nextExpectedRevision: 1n,
          alreadyAppended: true,
        });
        expect(await store.appendToStream(stream, next, { expectedRevision: 1n })).toMatchObject({
          nextExpectedRevision: 2n,
          alreadyAppended: true,
        });
        expect(await store.appendToStream(stream, next, { expectedRevision: 'any' })).toMatchObject({
          nextExpectedRevision: 2n,
          alreadyAppended: true,
        });
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it('refuses an append that reuses an event id of another append with DuplicateEventIdError', async () => {
        const stream = `${prefix()}s`;
        const [a, b, c] = [event('A'), event('B'), event('C')];
        await store.appendToStream(stream, [a, b, c], { expectedRevision: 'no_stream' });
        const before = await store.readStream(stream);

        const starting = await store.appendToStream(stream, [a, event('X')], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
        expect(starting).toBeInstanceOf(DuplicateEventIdError);
        expect(starting).toMatchObject({ streamName: stream, eventId: a.id });

        const middle = await store.appendToStream(stream, [b, event('Y')], { expectedRevision: 0n }).catch((e: unknown) => e);
        expect(middle).toBeInstanceOf(DuplicateEventIdError);
        expect(middle).toMatchObject({ streamName: stream, eventId: b.id });

        expect(await store.readStream(stream)).toEqual(before);
      });
    });

    describe('readStream and streamRevision', () => {
      let stream: string;
      beforeAll(async () => {
        stream = `${prefix()}s`;
        await store.appendToStream(
          stream,
          Array.from({ length: 5 }, (_, i) => event(`E${i}`)),
          { expectedRevision: 'no_stream' },
        );
      });
      const types = (events: RecordedEvent[]): string[] => events.map((e) => e.type);

      it('reads forwards from the start, from a revision (inclusive), and up to maxCount', async () => {
        expect(types(await store.readStream(stream))).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
        expect(types(await store.readStream(stream, { fromRevision: 2n }))).toEqual(['E2', 'E3', 'E4']);
        expect(types(await store.readStream(stream, { maxCount: 2 }))).toEqual(['E0', 'E1']);
        expect(types(await store.readStream(stream, { fromRevision: 1n, maxCount: 3 }))).toEqual(['E1', 'E2', 'E3']);
        expect(await store.readStream(stream, { fromRevision: 5n })).toEqual([]);
      });

      it('reads backwards from the end and from a revision (inclusive)', async () => {
        expect(types(await store.readStream(stream, { direction: 'backwards' }))).toEqual(['E4', 'E3', 'E2', 'E1', 'E0']);
        expect(types(await store.readStream(stream, { direction: 'backwards', fromRevision: 3n, maxCount: 2 }))).toEqual(['E3', 'E2']);
        expect(types(await store.readStream(stream, { direction: 'backwards', maxCount: 1 }))).toEqual(['E4']);
      });

      it('reads a missing stream as no events', async () => {
        const missing = `${prefix()}missing`;
        expect(await store.readStream(missing)).toEqual([]);
        expect(await store.readStream(missing, { direction: 'backwards' })).toEqual([]);
        expect(await store.streamRevision(missing)).toBeUndefined();
      });

      it('tells the revision of the last event', async () => {
        expect(await store.streamRevision(stream)).toBe(4n);
      });
    });

    describe('readAll and headPosition', () => {
      it('reads every stream in global order, after a position, with filters and maxCount', async () => {
        const p = prefix();
        const before = await store.headPosition();
        await store.appendToStream(`${p}a`, [event('Sent', { i: 0 }), event('Read', { i: 1 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${p}b`, [event('Sent', { i: 2 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${p}a`, [event('Deleted', { i: 3 })], { expectedRevision: 1n });
        await store.appendToStream(`other-${p}c`, [event('Sent', { i: 4 })], { expectedRevision: 'no_stream' });

        const ours = await eventually(
          () => store.readAll({ after: before, filter: { streamPrefixes: [p] } }),
          (events) => events.length === 4,
        );
        expect(ours.map((e) => [e.streamName, e.type, e.data])).toEqual([
          [`${p}a`, 'Sent', { i: 0 }],
          [`${p}a`, 'Read', { i: 1 }],
          [`${p}b`, 'Sent', { i: 2 }],
          [`${p}a`, 'Deleted', { i: 3 }],
        ]);
        expectIncreasing(ours.map((e) => e.position));
        expect(comparePositions(required(ours[0]).position, before)).toBe(1);

        const everything = await store.readAll({ after: before, filter: { streamPrefixes: [p, `other-${p}`] } });
        expect(everything.map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);

        const sent = await store.readAll({ after: before, filter: { streamPrefixes: [p, `other-${p}`], eventTypes: ['Sent'] } });
        expect(sent.map((e) => e.data)).toEqual([{ i: 0 }, { i: 2 }, { i: 4 }]);
        const sentOrDeleted = await store.readAll({ after: before, filter: { streamPrefixes: [p], eventTypes: ['Sent', 'Deleted'] } });
        expect(sentOrDeleted.map((e) => e.data)).toEqual([{ i: 0 }, { i: 2 }, { i: 3 }]);

        expect((await store.readAll({ after: before, maxCount: 2, filter: { streamPrefixes: [p] } })).map((e) => e.data)).toEqual([
          { i: 0 },
          { i: 1 },
        ]);
        const afterSecond = await store.readAll({ after: required(ours[1]).position, filter: { streamPrefixes: [p] } });
        expect(afterSecond.map((e) => e.data)).toEqual([{ i: 2 }, { i: 3 }]);
      });

      it('puts the head at or after the newest append', async () => {
        const before = await store.headPosition();
        expect(comparePositions(before, startOfAll)).toBeGreaterThanOrEqual(0);
        const stream = `${prefix()}s`;
        await store.appendToStream(stream, [event('A')], { expectedRevision: 'no_stream' });
        const [appended] = await store.readStream(stream);

        const head = await eventually(
          () => store.headPosition(),
          (position) => comparePositions(position, required(appended).position) >= 0,
        );
        expect(comparePositions(head, before)).toBe(1);
      });
    });

    describe('subscribeToAll', () => {
      const subscribe = async (
        options: Omit<Parameters<EventStore['subscribeToAll']>[0], 'onEvent'>,
        onEvent?: (event: RecordedEvent) => Promise<void>,
      ): Promise<{ subscription: Subscription; received: RecordedEvent[] }> => {
        const received: RecordedEvent[] = [];
        const subscription = await store.subscribeToAll({
          ...options,
          onEvent: async (e) => {
            await onEvent?.(e);
            received.push(e);
          },
        });
        opened.push(subscription);
        return { subscription, received };
      };

      it('catches up from the start, then delivers live appends, in order, each once', async () => {
        const p = prefix();
        await store.appendToStream(`${p}a`, [event('A0'), event('A1')], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${p}b`, [event('B0')], { expectedRevision: 'no_stream' });

        const { subscription, received } = await subscribe({ filter: { streamPrefixes: [p] } });
        await eventually(
          async () => received.length,
          (n) => n >= 3,
        );
        await store.appendToStream(`${p}a`, [event('A2')], { expectedRevision: 1n });
        await store.appendToStream(`${p}c`, [event('C0'), event('C1')], { expectedRevision: 'no_stream' });
        await eventually(
          async () => received.length,
          (n) => n >= 6,
        );
        await settle();

        expect(received.map((e) => e.type)).toEqual(['A0', 'A1', 'B0', 'A2', 'C0', 'C1']);
        expectIncreasing(received.map((e) => e.position));
        expect(subscription.position).toEqual(required(received[5]).position);
      });

      it('starts after a checkpoint, exclusively', async () => {
        const p = prefix();
        await store.appendToStream(`${p}a`, [event('E0'), event('E1'), event('E2'), event('E3')], { expectedRevision: 'no_stream' });
        const all = await eventually(
          () => store.readAll({ filter: { streamPrefixes: [p] } }),
          (events) => events.length === 4,
        );
        const checkpoint = required(all[1]).position;

        const { subscription, received } = await subscribe({ after: checkpoint, filter: { streamPrefixes: [p] } });
        expect(subscription.position).toEqual(checkpoint);
        await eventually(
          async () => received.length,
          (n) => n >= 2,
        );
        await store.appendToStream(`${p}a`, [event('E4')], { expectedRevision: 3n });
        await eventually(
          async () => received.length,
          (n) => n >= 3,
        );
        await settle();

        expect(received.map((e) => e.type)).toEqual(['E2', 'E3', 'E4']);
      });

      it('delivers only what the filter asks for (stream prefixes and event types)', async () => {
        const p = prefix();
        const before = await store.headPosition();
        const byType = await subscribe({ after: before, filter: { streamPrefixes: [p], eventTypes: ['Wanted'] } });
        const byPrefix = await subscribe({ after: before, filter: { streamPrefixes: [`${p}keep`] } });

        await store.appendToStream(`${p}keep-1`, [event('Wanted', { n: 1 }), event('Unwanted', { n: 2 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${p}drop-1`, [event('Wanted', { n: 3 }), event('Unwanted', { n: 4 })], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${p}keep-2`, [event('Wanted', { n: 5 })], { expectedRevision: 'no_stream' });

        await eventually(
          async () => [byType.received.length, byPrefix.received.length],
          ([t, s]) => t === 3 && s === 3,
        );
        await settle();
        expect(byType.received.map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }, { n: 5 }]);
        expect(byPrefix.received.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 5 }]);
      });

      it('awaits onEvent before delivering the next event', async () => {
        const p = prefix();
        let inFlight = 0;
        let overlapped = false;
        const { received } = await subscribe({ after: await store.headPosition(), filter: { streamPrefixes: [p] } }, async () => {
          inFlight += 1;
          if (inFlight > 1) overlapped = true;
          await sleep(20);
          inFlight -= 1;
        });
        await store.appendToStream(`${p}s`, [event('A'), event('B'), event('C')], { expectedRevision: 'no_stream' });
        await eventually(
          async () => received.length,
          (n) => n === 3,
        );
        expect(overlapped).toBe(false);
      });

      it('stops delivering once closed, after the event in progress', async () => {
        const p = prefix();
        let release: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let started = 0;
        const { subscription, received } = await subscribe(
          { after: await store.headPosition(), filter: { streamPrefixes: [p] } },
          async () => {
            started += 1;
            await gate;
          },
        );
        await store.appendToStream(`${p}s`, [event('A'), event('B')], { expectedRevision: 'no_stream' });
        await eventually(
          async () => started,
          (n) => n === 1,
        );

        let closed = false;
        const closing = subscription.close().then(() => {
          closed = true;
        });
        await sleep(50);
        expect(closed).toBe(false);
        release();
        await closing;

        expect(received.map((e) => e.type)).toEqual(['A']);
        await store.appendToStream(`${p}s`, [event('C')], { expectedRevision: 1n });
        await settle();
        expect(received.map((e) => e.type)).toEqual(['A']);
        expect(started).toBe(1);
      });

      it('ends the subscription and reports the error when onEvent throws', async () => {
        const p = prefix();
        const errors: unknown[] = [];
        const attempts: string[] = [];
        const subscription = await store.subscribeToAll({
          after: await store.headPosition(),
          filter: { streamPrefixes: [p] },
          onEvent: async (e) => {
            attempts.push(e.type);
            throw new Error(`cannot handle ${e.type}`);
          },
          onError: (error) => errors.push(error),
        });
        opened.push(subscription);
        await store.appendToStream(`${p}s`, [event('A'), event('B')], { expectedRevision: 'no_stream' });

        await eventually(
          async () => errors.length,
          (n) => n === 1,
        );
        await settle();
        expect(attempts).toEqual(['A']);
        expect(errors).toEqual([new Error('cannot handle A')]);
      });
    });
  });
}

/** A valid event with fresh ids, as the messaging service would build it. */
export function event(type: string, data: Record<string, unknown> = {}): EventToAppend {
  return { id: randomUUID(), type, data, metadata: metadata() };
}

export function metadata(): EventMetadata {
  return {
    commandId: randomUUID(),
    correlationId: randomUUID(),
    causationId: randomUUID(),
    userId: randomUUID().replace(/-/g, '').slice(0, 24),
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
  };
}

export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${String(value)}`);
    await sleep(20);
  }
}

export function expectIncreasing(positions: readonly GlobalPosition[]): void {
  for (let i = 1; i < positions.length; i += 1) {
    expect(comparePositions(required(positions[i - 1]), required(positions[i]))).toBe(-1);
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

/** Long enough for a wrongly delivered extra event to show up. */
const settle = (): Promise<void> => sleep(300);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
