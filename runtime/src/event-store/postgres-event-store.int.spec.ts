import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DuplicateEventIdError, type RecordedEvent, comparePositions } from './event-store';
import { describeEventStoreContract, event, eventually, sleep } from './event-store.contract';
import { createEventStore } from './create-event-store';
import { PostgresEventStore } from './postgres-event-store';

const url = (): string => {
  const value = process.env.POSTGRES_URL;
  if (!value) throw new Error('POSTGRES_URL was not set by the global setup');
  return value;
};

describeEventStoreContract('PostgreSQL', async () => {
  const store = new PostgresEventStore(url());
  await store.migrate();
  return store;
});

describe('PostgreSQL event store specifics', () => {
  let store: PostgresEventStore;
  const stores: PostgresEventStore[] = [];
  const prefix = (): string => `pg-${randomUUID()}-`;

  beforeAll(async () => {
    store = new PostgresEventStore(url());
    await store.migrate();
  });

  afterAll(async () => {
    await Promise.all([store, ...stores].map((s) => s.close()));
  });

  it('is what createEventStore gives when no EventStoreDB/KurrentDB URL is configured, migrated', async () => {
    const created = await createEventStore({ postgresUrl: url() });
    try {
      expect(created).toBeInstanceOf(PostgresEventStore);
      const stream = `${prefix()}s`;
      await created.appendToStream(stream, [event('A')], { expectedRevision: 'no_stream' });
      expect(await created.streamRevision(stream)).toBe(0n);
    } finally {
      await created.close();
    }
  });

  it('migrates repeatedly and concurrently without error', async () => {
    const others = [1, 2, 3].map(() => new PostgresEventStore(url()));
    stores.push(...others);
    await Promise.all(others.map((other) => other.migrate()));
    await others[0]?.migrate();
  });

  it("returns the append's position as that of its last event", async () => {
    const stream = `${prefix()}s`;
    const result = await store.appendToStream(stream, [event('A'), event('B')], { expectedRevision: 'no_stream' });
    const [, last] = await store.readStream(stream);
    expect(result.position).toEqual(last?.position);
  });

  it('keeps event ids unique across the store, also at the current revision', async () => {
    const reused = event('A');
    const stream = `${prefix()}s`;
    await store.appendToStream(stream, [reused], { expectedRevision: 'no_stream' });

    const atCurrent = await store.appendToStream(stream, [reused], { expectedRevision: 0n }).catch((e: unknown) => e);
    expect(atCurrent).toBeInstanceOf(DuplicateEventIdError);
    expect(atCurrent).toMatchObject({ eventId: reused.id });

    const elsewhere = await store
      .appendToStream(`${prefix()}other`, [event('B'), reused], { expectedRevision: 'no_stream' })
      .catch((e: unknown) => e);
    expect(elsewhere).toBeInstanceOf(DuplicateEventIdError);
    expect(elsewhere).toMatchObject({ eventId: reused.id });
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('appends to several streams in one transaction, each append checked and answered on its own', async () => {
    const [fresh, existing, conflicting] = [`${prefix()}fresh`, `${prefix()}existing`, `${prefix()}conflicting`];
    await store.appendToStream(existing, [event('A')], { expectedRevision: 'no_stream' });
    await store.appendToStream(conflicting, [event('A'), event('B')], { expectedRevision: 'no_stream' });
    const batch = [
      { streamName: fresh, events: [event('A'), event('B')], expectedRevision: 'no_stream' as const },
      { streamName: existing, events: [event('B')], expectedRevision: 0n },
      { streamName: conflicting, events: [event('C')], expectedRevision: 0n },
      { streamName: `${prefix()}invalid`, events: [], expectedRevision: 'any' as const },
    ];
    const outcomes = await store.appendToStreams(batch);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, false, false]);
    const [first, second] = outcomes.map((outcome) => (outcome.ok ? outcome.result : undefined));
    expect(first).toMatchObject({ nextExpectedRevision: 1n, alreadyAppended: false });
    expect(second).toMatchObject({ nextExpectedRevision: 1n, alreadyAppended: false });
    // One transaction: both appends carry its id.
    expect(first?.position.commit).toBe(second?.position.commit);
    expect(outcomes[2]).toMatchObject({ ok: false, error: { name: 'WrongExpectedRevisionError' } });
    expect(outcomes[3]).toMatchObject({ ok: false, error: { message: expect.stringContaining('no events') } });
    expect(await store.readStream(conflicting)).toHaveLength(2);

    // The same batch again (a redelivery): the appends that happened are recognised, not repeated.
    const again = await store.appendToStreams(batch.slice(0, 2));
    expect(again.map((outcome) => outcome.ok && outcome.result.alreadyAppended)).toEqual([true, true]);
    expect(await store.readStream(fresh)).toHaveLength(2);
    expect(await store.readStream(existing)).toHaveLength(2);
  });

  it('a multi-stream append that PostgreSQL refuses whole falls back to each append alone', async () => {
    const reused = event('A');
    await store.appendToStream(`${prefix()}owner`, [reused], { expectedRevision: 'no_stream' });
    const [good, bad] = [`${prefix()}good`, `${prefix()}bad`];
    // The reused id reaches the insert (no revision check fails first), so the statement raises.
    const outcomes = await store.appendToStreams([
      { streamName: good, events: [event('A')], expectedRevision: 'no_stream' },
      { streamName: bad, events: [event('B'), reused], expectedRevision: 'no_stream' },
    ]);
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(outcomes[1]).toMatchObject({ ok: false });
    expect(outcomes[1]?.ok === false && outcomes[1].error).toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(good)).toHaveLength(1);
    expect(await store.readStream(bad)).toHaveLength(0);
  });

  it('gathers appends made while others are under way into shared transactions', async () => {
    const gathering = new PostgresEventStore(url(), { appendsInFlight: 1 });
    stores.push(gathering);
    const base = prefix();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => gathering.appendToStream(`${base}${i}`, [event('A', { i })], { expectedRevision: 'no_stream' })),
    );
    const transactions = new Set(results.map((result) => result.position.commit));
    expect(transactions.size).toBeLessThan(results.length);
    for (let i = 0; i < 40; i++) expect(await gathering.readStream(`${base}${i}`)).toHaveLength(1);
    // A conflict in a shared transaction fails its own append only.
    const [conflict, fine] = await Promise.allSettled([
      gathering.appendToStream(`${base}0`, [event('B')], { expectedRevision: 'no_stream' }),
      gathering.appendToStream(`${base}1`, [event('B')], { expectedRevision: 0n }),
    ]);
    expect(conflict).toMatchObject({ status: 'rejected', reason: { name: 'WrongExpectedRevisionError' } });
    expect(fine).toMatchObject({ status: 'fulfilled' });
  });

  it('refuses to change or delete recorded events', async () => {
    const stream = `${prefix()}s`;
    await store.appendToStream(stream, [event('A')], { expectedRevision: 'no_stream' });
    const client = new Client(url());
    await client.connect();
    try {
      await expect(client.query('UPDATE event_store.events SET event_type = $2 WHERE stream_name = $1', [stream, 'B'])).rejects.toThrow(
        /append-only/,
      );
      await expect(client.query('DELETE FROM event_store.events WHERE stream_name = $1', [stream])).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
  });

  it('hides events behind an older open transaction until it ends, then orders that one first', async () => {
    // The trap, deterministically: a commits after b although a took its sequence value
    // first. A reader that had passed b must still get a.
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let commit: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      commit = resolve;
    });
    const held = new PostgresEventStore(url(), {
      beforeCommit: async () => {
        entered();
        await gate;
      },
    });
    stores.push(held);
    const p = prefix();
    const before = await store.headPosition();
    const received: RecordedEvent[] = [];
    const subscription = await store.subscribeToAll({
      after: before,
      filter: { streamPrefixes: [p] },
      onEvent: async (e) => {
        received.push(e);
      },
    });

    const slow = held.appendToStream(`${p}a`, [event('Slow')], { expectedRevision: 'no_stream' });
    await inside;
    const fast = await store.appendToStream(`${p}b`, [event('Fast')], { expectedRevision: 'no_stream' });
    expect((await store.readStream(`${p}b`)).map((e) => e.type)).toEqual(['Fast']);
    await sleep(200);
    expect(await store.readAll({ after: before, filter: { streamPrefixes: [p] } })).toEqual([]);
    expect(received).toEqual([]);

    commit();
    const slowResult = await slow;
    expect(comparePositions(slowResult.position, fast.position)).toBe(-1);
    const all = await eventually(
      () => store.readAll({ after: before, filter: { streamPrefixes: [p] } }),
      (events) => events.length === 2,
    );
    expect(all.map((e) => e.type)).toEqual(['Slow', 'Fast']);
    await eventually(
      async () => received.length,
      (n) => n === 2,
    );
    expect(received.map((e) => e.type)).toEqual(['Slow', 'Fast']);
    await subscription.close();
  });

  it('delivers live events held back by a transaction that never notifies, soon after it ends', async () => {
    const p = prefix();
    const received: RecordedEvent[] = [];
    const subscription = await store.subscribeToAll({
      after: await store.headPosition(),
      filter: { streamPrefixes: [p] },
      onEvent: async (e) => {
        received.push(e);
      },
    });
    const other = new Client(url());
    await other.connect();
    try {
      // Any writing transaction holds the watermark, whether or not it touches events.
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
      await store.appendToStream(`${p}s`, [event('Waiting')], { expectedRevision: 'no_stream' });
      await sleep(300);
      expect(received).toEqual([]);

      const ended = Date.now();
      await other.query('COMMIT');
      await eventually(
        async () => received.length,
        (n) => n === 1,
      );
      // The re-check backs off to 100 ms, well inside the 1 s safety poll.
      expect(Date.now() - ended).toBeLessThan(800);
    } finally {
      await other.end();
      await subscription.close();
    }
  });

  it('with a read interval, appends that come soon after a read are delivered together once it is over', async () => {
    const p = prefix();
    const received: { type: string; at: number }[] = [];
    const subscription = await store.subscribeToAll({
      after: await store.headPosition(),
      filter: { streamPrefixes: [p] },
      readIntervalMs: 400,
      onEvent: async (e) => {
        received.push({ type: e.type, at: performance.now() });
      },
    });
    try {
      await store.appendToStream(`${p}a`, [event('First')], { expectedRevision: 'no_stream' });
      await eventually(
        async () => received.length,
        (n) => n === 1,
      );
      const caughtUp = received[0]?.at ?? 0;
      for (const type of ['B', 'C', 'D']) {
        await store.appendToStream(`${p}${type}`, [event(type)], { expectedRevision: 'no_stream' });
        await sleep(20);
      }
      await eventually(
        async () => received.length,
        (n) => n === 4,
      );
      const later = received.slice(1);
      expect(later.map((r) => r.type)).toEqual(['B', 'C', 'D']);
      // Not one read per append: nothing before the interval is over, then all in one read.
      for (const { at } of later) expect(at - caughtUp).toBeGreaterThanOrEqual(380);
      expect((later[2]?.at ?? 0) - (later[0]?.at ?? 0)).toBeLessThan(50);
    } finally {
      await subscription.close();
    }
  });

  it('releases the LISTEN connection when a subscription or the store closes', async () => {
    const applicationName = `es-test-${randomUUID().slice(0, 8)}`;
    const own = new PostgresEventStore({ connectionString: url(), application_name: applicationName });
    stores.push(own);
    const observer = new Client(url());
    await observer.connect();
    const connections = async (): Promise<number> => {
      const result = await observer.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [applicationName],
      );
      return Number(result.rows[0]?.n);
    };
    try {
      const first = await own.subscribeToAll({ onEvent: async () => undefined, filter: { streamPrefixes: [prefix()] } });
      await own.subscribeToAll({ onEvent: async () => undefined, filter: { streamPrefixes: [prefix()] } });
      expect(await connections()).toBe(2);
      await first.close();
      await eventually(connections, (n) => n === 1);
      await own.close();
      await eventually(connections, (n) => n === 0);
    } finally {
      await observer.end();
    }
  });
});
