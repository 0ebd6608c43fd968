// First: the tracing instrumentations patch libraries as they load.
import { shutdownTelemetry } from '@chat/runtime/telemetry';
import { Topic, parsePresenceReport } from '@chat/contracts';
import { ReadModelQueries } from '@chat/projections/read-models';
import {
  BatchingProducer,
  JsonTopicConsumer,
  createEventStore,
  createKafka,
  endpointsInEnv,
  ensureTopics,
  reliableProducerConfig,
  reportRedisOutages,
  serveHealth,
  toEndpoints,
  intFromEnv,
  presenceKeyPrefix,
  readStoreClient,
} from '@chat/runtime';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SweepSchedule } from './sweep-schedule';
import { PresenceService } from './presence.service';
import { PresenceStore } from './presence-store';

/**
 * The presence service: consumes the gateways' socket reports and the read side's
 * `new:message` notifications; keeps who is online in Redis; announces transitions and marks
 * messages delivered. Health on PRESENCE_PORT (3103).
 */
async function main(): Promise<void> {
  const log = (line: string): void => console.log(`[presence] ${line}`);
  const endpoints = toEndpoints(endpointsInEnv());
  const instanceId = `presence-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 3 });
  reportRedisOutages(redis, 'presence', log);
  const mongo = readStoreClient(endpoints.mongoUrl, 'presence', log);
  await mongo.connect();
  // Only the store's head is read from it (see PresenceOptions.storeHead).
  const eventStore = await createEventStore(endpoints);
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: instanceId });
  await ensureTopics(kafka, [Topic.Presence, Topic.Notifications, Topic.Commands]);
  const producer = kafka.producer(reliableProducerConfig());
  await producer.connect();
  const service = new PresenceService({
    store: new PresenceStore(redis, presenceKeyPrefix()),
    queries: new ReadModelQueries(mongo.db()),
    storeHead: () => eventStore.headPosition(),
    producer: new BatchingProducer(producer),
    instanceId,
    graceMs: intFromEnv(process.env, 'PRESENCE_GRACE_MS', 3_000),
    defaultGatewayTtlMs: intFromEnv(process.env, 'PRESENCE_GATEWAY_TTL_MS', 20_000),
    log,
  });

  // Only what happens from now on matters to presence; new groups start at the end. Reports
  // of one user stay in order (one partition); a failed batch is retried by kafkajs.
  const groupId = process.env.PRESENCE_GROUP_ID?.trim() || 'presence';
  const reports = new JsonTopicConsumer(kafka, {
    groupId,
    topic: Topic.Presence,
    parse: parsePresenceReport,
    handle: (report) => service.report(report),
    log,
  });
  await reports.start();

  const sweeps = new SweepSchedule(() => service.sweep(), intFromEnv(process.env, 'PRESENCE_SWEEP_MS', 2_000, 1), log);
  service.onOfflineDue((at) => sweeps.wakeAt(at));
  sweeps.start();

  const port = intFromEnv(process.env, 'PRESENCE_PORT', 3103);
  const host = process.env.HEALTH_HOST?.trim() || '127.0.0.1';
  const health = await serveHealth({
    port,
    host,
    service: 'presence',
    check: async () => ({ healthy: reports.ready && (await redis.ping()) === 'PONG' }),
  });
  const { port: healthPort } = health.address() as AddressInfo;

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${signal})`);
    sweeps.stop();
    health.close();
    await reports.stop().catch(() => undefined);
    // Announcements and deliveries under way go out first, if they can within a few seconds.
    await Promise.race([service.drain(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await producer.disconnect().catch(() => undefined);
    redis.disconnect();
    await eventStore.close();
    await mongo.close();
    await shutdownTelemetry();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
  log(`tracking presence; health on http://${host}:${healthPort}/health`);
}

main().catch((err: unknown) => {
  console.error('[presence] failed to start:', err);
  process.exit(1);
});
