import { randomUUID } from 'node:crypto';
import { type RecordedEvent, comparePositions } from './event-store';
import { event, eventually, expectIncreasing, sleep } from './event-store.contract';
import { PostgresEventStore } from './postgres-event-store';

// The proof that readers of "all" miss nothing although sequence values are taken long
// before commit: hundreds of concurrent appends, each holding its transaction open for a
// random 0-50 ms after its rows took their sequence values, so commits land far out of
// sequence order, while a subscriber that started before them follows live. And the same
// for appends gathered into multi-stream transactions by two writers at once, whose batches
// share streams: each stream's revisions must still reach readers in order.

const STREAMS = 50;
const APPENDS = 300;

const url = (): string => {
  const value = process.env.POSTGRES_URL;
  if (!value) throw new Error('POSTGRES_URL was not set by the global setup');
  return value;
};

describe('PostgreSQL event store: global order under concurrent, out-of-order commits', () => {
  let reader: PostgresEventStore;
  const writers: PostgresEventStore[] = [];

  beforeAll(async () => {
    reader = new PostgresEventStore(url());
    await reader.migrate();
  });

  afterAll(async () => {
    await Promise.all([reader, ...writers].map((store) => store?.close()));
  });

  async function appendConcurrentlyAndFollow(appenders: readonly PostgresEventStore[], label: string): Promise<void> {
    const prefix = `ordering-${randomUUID()}-`;
    const received: RecordedEvent[] = [];
    const errors: unknown[] = [];
    const subscription = await reader.subscribeToAll({
      after: await reader.headPosition(),
      filter: { streamPrefixes: [prefix] },
      onEvent: async (e) => {
        received.push(e);
      },
      onError: (error) => errors.push(error),
    });

    const appendedIds: string[] = [];
    const transactions = new Set<bigint>();
    const started = Date.now();
    await Promise.all(
      Array.from({ length: APPENDS }, async (_, i) => {
        const events = Array.from({ length: 1 + (i % 3) }, () => event('Ordered', { i }));
        const appender = appenders[i % appenders.length] as PostgresEventStore;
        const result = await appender.appendToStream(`${prefix}${i % STREAMS}`, events, { expectedRevision: 'any' });
        transactions.add(result.position.commit);
        appendedIds.push(...events.map((e) => e.id));
      }),
    );
    const appendMs = Date.now() - started;

    await eventually(
      async () => received.length,
      (n) => n >= appendedIds.length,
      20_000,
    ).catch(() => undefined);
    await sleep(300);
    await subscription.close();
    console.log(
      `[ordering, ${label}] ${appendedIds.length} events in ${APPENDS} appends (${transactions.size} transactions) took ${appendMs} ms; ` +
        `subscriber received ${received.length} (${new Set(received.map((e) => e.id)).size} distinct) ` +
        `${Date.now() - started} ms after the first append`,
    );

    expect(errors).toEqual([]);
    // Every event once: no loss, no duplicate.
    expect(received.map((e) => e.id).sort()).toEqual([...appendedIds].sort());
    // The global order is strictly increasing and each stream's revisions come in order.
    expectIncreasing(received.map((e) => e.position));
    const nextRevision = new Map<string, bigint>();
    for (const e of received) {
      expect(e.revision).toBe(nextRevision.get(e.streamName) ?? 0n);
      nextRevision.set(e.streamName, e.revision + 1n);
    }
    expect(nextRevision.size).toBe(STREAMS);
    // Reading all afterwards gives the same sequence as the live subscriber saw.
    const reread = await reader.readAll({ filter: { streamPrefixes: [prefix] } });
    expect(reread.map((e) => e.id)).toEqual(received.map((e) => e.id));
    expect(comparePositions(subscription.position, reread[reread.length - 1]?.position ?? subscription.position)).toBe(0);
  }

  it(`a live subscriber sees each of ${APPENDS} concurrent appends over ${STREAMS} streams exactly once, in order`, async () => {
    const writer = new PostgresEventStore(url(), { poolSize: 40, beforeCommit: () => sleep(Math.random() * 50) });
    writers.push(writer);
    await appendConcurrentlyAndFollow([writer], 'one transaction per append, commits held open');
  }, 60_000);

  it(`the same when the appends are gathered into multi-stream transactions by two writers at once`, async () => {
    const gathering = [new PostgresEventStore(url(), { appendsInFlight: 3 }), new PostgresEventStore(url(), { appendsInFlight: 3 })];
    writers.push(...gathering);
    await appendConcurrentlyAndFollow(gathering, 'gathered');
  }, 60_000);
});
