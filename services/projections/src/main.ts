import { Topic } from '@chat/contracts';
import {
  createEventStore,
  createKafka,
  endpointsInEnv,
  ensureTopics,
  reliableProducerConfig,
  toEndpoints,
} from '@chat/runtime';
import { MongoClient } from 'mongodb';
import { BatchApplier } from './read-models/batch-applier';
import { MongoReadModelStorage } from './read-models/mongo-read-model-storage';
import { startHealthServer } from './worker/health-server';
import { LagMonitor } from './worker/lag-monitor';
import { NotificationOutbox } from './worker/notification-outbox';
import { NotificationPublisher } from './worker/notification-publisher';
import { ProjectionWorker } from './worker/projection-worker';

/**
 * The projections service: one worker that keeps the MongoDB read models and the gateways
 * up to date from the event store, with /health and /metrics on PROJECTIONS_PORT.
 */
async function main(): Promise<void> {
  const log = (line: string): void => console.log(`[projections] ${line}`);
  const endpoints = toEndpoints(endpointsInEnv());
  const store = await createEventStore(endpoints);
  // FerretDB v1 has no retryable writes; the URL may say so already, the client must too.
  const mongo = new MongoClient(endpoints.mongoUrl, { retryWrites: false });
  await mongo.connect();
  const db = mongo.db();
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'projections' });
  await ensureTopics(kafka, [Topic.Notifications]);
  const producer = kafka.producer(reliableProducerConfig());
  await producer.connect();

  const storage = await MongoReadModelStorage.open(db);
  const pauseMs = Number(process.env.PROJECTIONS_FAULT_PAUSE_BEFORE_CHECKPOINT_MS ?? 0);
  const worker = new ProjectionWorker({
    store,
    applier: new BatchApplier(storage),
    checkpoints: storage.checkpoints(),
    outbox: new NotificationOutbox(db),
    publisher: new NotificationPublisher(producer),
    log,
    ...(pauseMs > 0
      ? {
          beforeCheckpoint: async () => {
            log(`fault injection: pausing before the checkpoint for ${pauseMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
          },
        }
      : {}),
  });
  await worker.start();
  const lag = new LagMonitor(store, () => worker.position);
  lag.start();
  const port = Number(process.env.PROJECTIONS_PORT ?? 3102);
  const host = process.env.HEALTH_HOST?.trim() || '127.0.0.1';
  const server = await startHealthServer({ worker, lag, port, host });
  log(`projecting into ${db.databaseName}; health on http://${host}:${port}/health`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${signal})`);
    lag.stop();
    server.close();
    await worker.stop();
    await producer.disconnect();
    await mongo.close();
    await store.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
}

main().catch((err: unknown) => {
  console.error('[projections] failed to start:', err);
  process.exit(1);
});
