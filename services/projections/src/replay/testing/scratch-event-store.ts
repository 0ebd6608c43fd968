import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@chat/runtime';
import { Pool } from 'pg';
import type { ScenarioEvent } from '../../domain/testing/chat-scenario';

/**
 * A PostgreSQL event store in a schema of its own, so that "all events" means this test's or
 * this benchmark's events only, whatever else the shared server holds; dropped afterwards.
 */
export interface ScratchEventStore {
  readonly store: PostgresEventStore;
  readonly schema: string;
  drop(): Promise<void>;
}

export async function openScratchEventStore(url: string, name = 'proj'): Promise<ScratchEventStore> {
  const schema = `${name}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const pool = new Pool({ connectionString: url, max: 20 });
  const store = new PostgresEventStore(pool, { schema });
  await store.migrate();
  return {
    store,
    schema,
    async drop() {
      await store.close();
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    },
  };
}

/**
 * Appends a scenario keeping each stream's order (the only order a store promises), up to
 * `concurrency` appends in flight across streams, consecutive events of one stream in one
 * append. Registrations go first, so every sender is known when its messages are projected.
 */
export async function appendScenario(store: PostgresEventStore, events: readonly ScenarioEvent[], concurrency = 24): Promise<void> {
  const registrations = events.filter((e) => e.event.type === 'UserRegistered');
  const rest = events.filter((e) => e.event.type !== 'UserRegistered');
  for (const part of [registrations, rest]) {
    const runs: ScenarioEvent[][] = [];
    for (const event of part) {
      const last = runs[runs.length - 1];
      if (last && last[0]?.streamName === event.streamName && last.length < 50) last.push(event);
      else runs.push([event]);
    }
    const tails = new Map<string, Promise<void>>();
    const inflight = new Set<Promise<void>>();
    for (const run of runs) {
      const streamName = run[0]?.streamName ?? '';
      while (inflight.size >= concurrency) await Promise.race(inflight);
      const append = (tails.get(streamName) ?? Promise.resolve()).then(async () => {
        await store.appendToStream(
          streamName,
          run.map(({ id, event, metadata }) => ({ id, type: event.type, data: event.data, metadata })),
          { expectedRevision: 'any' },
        );
      });
      tails.set(streamName, append);
      const tracked = append.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    }
    await Promise.all(inflight);
    await Promise.all(tails.values());
  }
}
