// First: the tracing instrumentations patch libraries as they load.
import { shutdownTelemetry } from '@chat/runtime/telemetry';
import { Topic } from '@chat/contracts';
import {
  createEventStore,
  createKafka,
  endpointsInEnv,
  ensureTopics,
  intFromEnv,
  reliableProducerConfig,
  toEndpoints,
  readStoreClient,
} from '@chat/runtime';
import { EventExport } from './export/event-export';
import { BatchApplier } from './read-models/batch-applier';
import { MongoReadModelStorage } from './read-models/mongo-read-model-storage';
import { startHealthServer } from './worker/health-server';
import { LagMonitor } from './worker/lag-monitor';
import { NotificationPublisher } from './worker/notification-publisher';
import { ProjectionWorker } from './worker/projection-worker';

/**
 * The projections service: one worker that keeps the MongoDB read models and the gateways
 * up to date from the event store, the export of every event to the analysts' topic, and
 * /health and /metrics for both on PROJECTIONS_PORT.
 */
async function main(): Promise<void> {
  const log = (line: string): void => console.log(`[projections] ${line}`);
  const endpoints = toEndpoints(endpointsInEnv());
  const store = await createEventStore(endpoints);
  // FerretDB v1 has no retryable writes; the URL may say so already, the client must too.
  const mongo = readStoreClient(endpoints.mongoUrl, 'projections', log);
  await mongo.connect();
  const db = mongo.db();
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'projections' });
  await ensureTopics(kafka, [Topic.Notifications, Topic.Events]);
  const producer = kafka.producer(reliableProducerConfig());
  await producer.connect();

  // Fault injection for the kill tests: a pause in the window a SIGKILL must survive.
  const pause = (variable: string, what: string): ((applies?: boolean) => Promise<void>) | undefined => {
    const ms = intFromEnv(process.env, variable, 0);
    if (ms <= 0) return undefined;
    return async (applies = true) => {
      if (!applies) return;
      log(`fault injection: pausing ${what} for ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, ms));
    };
  };
  const pauseBeforeWrite = pause('PROJECTIONS_FAULT_PAUSE_BEFORE_WRITE_MS', 'before writing the read models');
  const pauseBeforeCheckpoint = pause('PROJECTIONS_FAULT_PAUSE_BEFORE_CHECKPOINT_MS', 'before the checkpoint');
  const faults = {
    // Only a batch that published something opens the window this fault is for.
    ...(pauseBeforeWrite ? { beforeWrite: (published: number) => pauseBeforeWrite(published > 0) } : {}),
    ...(pauseBeforeCheckpoint ? { beforeCheckpoint: () => pauseBeforeCheckpoint() } : {}),
  };
  /** A worker on whichever set of read models is active now, from that set's checkpoint. */
  const openWorker = async (): Promise<{ storage: MongoReadModelStorage; worker: ProjectionWorker }> => {
    const storage = await MongoReadModelStorage.open(db);
    // This worker is the one writer of the active set: it remembers what it wrote, and
    // knows the messages of events appended after it started cannot be stored yet.
    const applier = new BatchApplier(storage, { cacheSize: intFromEnv(process.env, 'PROJECTIONS_CACHE_DOCUMENTS', 100_000) });
    applier.startFreshAfter(await store.headPosition());
    const worker = new ProjectionWorker({
      store,
      applier,
      checkpoints: storage.checkpoints(),
      publisher: new NotificationPublisher(producer),
      log,
      writeIntervalMs: intFromEnv(process.env, 'READ_MODEL_WRITE_INTERVAL_MS', 100),
      ...faults,
    });
    await worker.start();
    return { storage, worker };
  };
  let current = await openWorker();
  const worker = { status: () => current.worker.status() };

  // A rebuild (replay CLI) switches the active set atomically; from then on the old set is
  // nobody's, so this worker moves to the new one and carries on from its checkpoint.
  let moving = false;
  const followSwitch = setInterval(() => {
    if (moving) return;
    moving = true;
    void (async () => {
      if (await current.storage.isActive()) return;
      log('a rebuild made another set of read models active; moving to it');
      await current.worker.stop();
      current = await openWorker();
      log(`projecting into the active set from checkpoint ${current.worker.status().checkpoint ?? 'start'}`);
    })()
      .catch((err: unknown) => log(`could not follow the active set: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (moving = false));
  }, intFromEnv(process.env, 'PROJECTIONS_ACTIVE_SET_CHECK_MS', 2_000, 1));
  const lag = new LagMonitor(store, () => current.worker.position);
  // EVENT_EXPORT=off: no export (test systems sharing one store and topic); EVENT_EXPORT_TOPIC:
  // another topic than chat.events.v1 (the export's own tests give each exporter one).
  const exporter =
    process.env.EVENT_EXPORT?.trim() === 'off'
      ? undefined
      : new EventExport({ store, kafka, topic: process.env.EVENT_EXPORT_TOPIC?.trim() || Topic.Events, log });
  await exporter?.start();
  const exportLag = exporter && new LagMonitor(store, () => exporter.position);
  const port = intFromEnv(process.env, 'PROJECTIONS_PORT', 3102);
  const host = process.env.HEALTH_HOST?.trim() || '127.0.0.1';
  const server = await startHealthServer({ worker, lag, ...(exporter && exportLag ? { exporter, exportLag } : {}), port, host });
  log(`projecting into ${db.databaseName}; health on http://${host}:${port}/health`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${signal})`);
    clearInterval(followSwitch);
    server.close();
    await exporter?.stop();
    await current.worker.stop();
    await producer.disconnect();
    await mongo.close();
    await store.close();
    await shutdownTelemetry();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
}

main().catch((err: unknown) => {
  console.error('[projections] failed to start:', err);
  process.exit(1);
});
