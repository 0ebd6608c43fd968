import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { endpointsInEnv, readStoreClient, recordBenchmarkSection, resolveInfrastructure, type RunningInfrastructure } from '@chat/runtime';
import { readModelKeys } from '../domain/document-set';
import { generateScenario } from '../domain/testing/chat-scenario';
import { type RebuildResult, rebuildReadModels } from './rebuild-read-models';
import { appendScenario, openScratchEventStore } from './testing/scratch-event-store';

/**
 * Replay benchmark: generates a realistic history (chat-scenario.ts) into an event store
 * schema of its own, then rebuilds every read model from it into FerretDB/MongoDB and prints
 * the rate. Uses POSTGRES_URL and MONGODB_URL when set; otherwise starts local servers
 * (profile `bench`: durable settings) and stops them at the end.
 *
 * Run: npm run bench:replay [-- events]; records its figures in docs/benchmarks.md unless
 * REPLAY_BENCH_NO_WRITE=1.
 */

const events = Number(process.argv[2] ?? process.env.REPLAY_BENCH_EVENTS ?? 200_000);

function line(result: RebuildResult, label: string): string {
  const t = result.timings;
  return (
    `${label}: ${result.events} events (${result.projected} projected) in ${(result.elapsedMs / 1000).toFixed(1)} s = ` +
    `${result.eventsPerSecond} events/s; ${result.documentsWritten} documents written; ` +
    `first pass ${t.scan} ms, build ${t.build} ms, catch-up ${t.catchUp} ms, switch ${t.switch} ms`
  );
}

async function main(): Promise<void> {
  const given = endpointsInEnv();
  let infrastructure: RunningInfrastructure | undefined;
  let postgresUrl = given.postgres;
  let mongoUrl = given.mongodb;
  if (!postgresUrl || !mongoUrl) {
    // Only what a rebuild uses: an idle Kafka alone takes a twentieth of a core.
    infrastructure = await resolveInfrastructure({ profile: 'bench', dependencies: ['postgres', 'mongodb'], log: (l) => console.log(`[infra] ${l}`) });
    postgresUrl = infrastructure.values.postgres;
    mongoUrl = infrastructure.values.mongodb;
    if (!postgresUrl || !mongoUrl) throw new Error('the local PostgreSQL and FerretDB did not start');
  }
  const scratch = await openScratchEventStore(postgresUrl, 'replay_bench');
  const mongo = readStoreClient(mongoUrl, 'replay', (line) => console.log(line));
  await mongo.connect();
  const db = mongo.db(`replay_bench_${randomUUID().slice(0, 8)}`);
  try {
    console.log(`[bench] ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    const scale = Math.max(1, Math.round(events / 10_000));
    const scenario = generateScenario({ seed: 42, events, users: 40 * scale, directs: 60 * scale, groups: 12 * scale });
    const byType = new Map<string, number>();
    for (const e of scenario.events) byType.set(e.event.type, (byType.get(e.event.type) ?? 0) + 1);
    console.log(`[bench] history: ${scenario.events.length} events: ${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}`);
    const appendStarted = Date.now();
    await appendScenario(scratch.store, scenario.events);
    console.log(`[bench] appended to schema ${scratch.schema} in ${((Date.now() - appendStarted) / 1000).toFixed(1)} s`);

    const progress = (p: { phase: string; events: number; eventsPerSecond: number; documentsWritten: number }) =>
      console.log(`[replay] ${p.phase}: ${p.events} events, ${p.eventsPerSecond} events/s, ${p.documentsWritten} documents written`);
    const first = await rebuildReadModels(scratch.store, db, { suffix: '_r1', onProgress: progress, dropDelayMs: 0 });
    console.log(`[bench] ${line(first, 'rebuild into empty database')}`);
    const second = await rebuildReadModels(scratch.store, db, { suffix: '_r2', onProgress: progress, dropDelayMs: 0 });
    console.log(`[bench] ${line(second, 'rebuild replacing the live set')}`);
    const counts = await Promise.all(
      readModelKeys.map(async (m) => `${m} ${await db.collection(second.collections[m]).countDocuments()}`),
    );
    console.log(`[bench] documents: ${counts.join(', ')}`);
    if (process.env.REPLAY_BENCH_NO_WRITE !== '1') {
      const store = given.postgres ? 'the PostgreSQL event store at POSTGRES_URL' : 'a local PostgreSQL event store';
      const readStore = given.mongodb ? 'MONGODB_URL' : 'local FerretDB v1.24 (SQLite backend)';
      recordBenchmarkSection(
        { begin: '<!-- replay-bench:start -->', end: '<!-- replay-bench:end -->' },
        [
          '## Replay: rebuilding every read model from position zero',
          '',
          `Command: \`npm run bench:replay -- ${events}\` (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores, ` +
            `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${store}, read models in ${readStore}).`,
          `History: ${scenario.events.length} events (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}); ${counts.join(', ')} documents.`,
          '',
          '| rebuild | events/s | target | time | documents written |',
          '|---|---|---|---|---|',
          `| into an empty database | ${first.eventsPerSecond} | ≥ 20,000 | ${(first.elapsedMs / 1000).toFixed(1)} s | ${first.documentsWritten} |`,
          `| replacing the live set | ${second.eventsPerSecond} | ≥ 20,000 | ${(second.elapsedMs / 1000).toFixed(1)} s | ${second.documentsWritten} |`,
        ].join('\n'),
      );
      console.log('[bench] recorded in docs/benchmarks.md');
    }
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
    await scratch.drop();
    await infrastructure?.stop();
  }
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exit(1);
});
