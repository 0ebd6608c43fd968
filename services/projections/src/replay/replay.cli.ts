import { parseArgs } from 'node:util';
import { createEventStore, endpointEnv, endpointsInEnv, formatPosition, readStoreClient } from '@chat/runtime';
import { type RebuildProgress, rebuildReadModels } from './rebuild-read-models';

/**
 * Rebuilds every read model from the first event into a new set of collections and switches
 * to it (see rebuild-read-models.ts), printing progress and the rate.
 *
 *   node services/projections/dist/replay/replay.cli.js [--suffix _r<time>] [--prefix ''] [--page-size 5000]
 *        [--no-activate] [--keep-previous] [--drop-delay-ms 60000]
 *
 * Reads MONGODB_URL, and EVENTSTORE_URL or else POSTGRES_URL. A live projection worker keeps
 * writing the set it opened until it reopens the active one (MongoReadModelStorage.isActive);
 * it then resumes from the checkpoint the rebuild saved for the new set.
 */

const usage = `usage: replay.cli [--suffix S] [--prefix P] [--page-size N] [--no-activate] [--keep-previous] [--drop-delay-ms N]`;

function describe(progress: RebuildProgress): string {
  const position = progress.position ? formatPosition(progress.position) : '-';
  return (
    `${progress.phase}: ${progress.events} events (${progress.skipped} skipped), ${progress.eventsPerSecond} events/s, ` +
    `${progress.documentsWritten} documents written, at ${position}, ${(progress.elapsedMs / 1000).toFixed(1)} s`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      suffix: { type: 'string' },
      prefix: { type: 'string' },
      'page-size': { type: 'string' },
      'no-activate': { type: 'boolean' },
      'keep-previous': { type: 'boolean' },
      'drop-delay-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const endpoints = endpointsInEnv();
  if (!endpoints.mongodb) throw new Error(`${endpointEnv.mongodb} is not set`);
  if (!endpoints.postgres && !endpoints.eventstore) throw new Error(`set ${endpointEnv.eventstore} or ${endpointEnv.postgres}`);
  const number = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: not a whole number: ${text}`);
    return value;
  };

  const store = await createEventStore({ postgresUrl: endpoints.postgres ?? '', eventStoreUrl: endpoints.eventstore });
  // FerretDB v1 has no retryable writes.
  const mongo = readStoreClient(endpoints.mongodb, 'replay', (line) => console.log(line));
  try {
    await mongo.connect();
    const db = mongo.db();
    console.log(`[replay] rebuilding the read models of database ${db.databaseName}`);
    const result = await rebuildReadModels(store, db, {
      ...(values.suffix === undefined ? {} : { suffix: values.suffix }),
      ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
      pageSize: number(values['page-size'], 'page-size') ?? 5_000,
      activate: !values['no-activate'],
      dropPrevious: !values['keep-previous'],
      dropDelayMs: number(values['drop-delay-ms'], 'drop-delay-ms') ?? 60_000,
      onProgress: (progress) => console.log(`[replay] ${describe(progress)}`),
    });
    const t = result.timings;
    console.log(
      `[replay] done: ${result.events} events in ${(result.elapsedMs / 1000).toFixed(1)} s = ${result.eventsPerSecond} events/s ` +
        `(scan ${t.scan} ms, build ${t.build} ms, catch-up ${t.catchUp} ms, switch ${t.switch} ms); ` +
        `collections *${result.collections.suffix}` +
        (result.previous ? `, replacing *${result.previous.suffix}` : ', not activated'),
    );
  } finally {
    await mongo.close();
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(`[replay] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
