import { randomUUID } from 'node:crypto';
import { type GatewayNotification, type GatewayNotificationOf, Topic, parseNotification } from '@chat/contracts';
import {
  PostgresEventStore,
  createKafka,
  endpointsInEnv,
  ensureTopics,
  freePort,
  latencyConsumerConfig,
  toEndpoints,
} from '@chat/runtime';
import { ServiceProcess, buildWorkspaces, waitFor } from '@chat/runtime/testing';
import type { Consumer } from 'kafkajs';
import { type Db, MongoClient } from 'mongodb';
import type { TimelinePageDoc } from '../domain/read-model-documents';
import { generateScenario, type Scenario, type ScenarioExpectations } from '../domain/testing/chat-scenario';
import { type AllDocuments, readModelFacts, restrictedTo, sortedReaders } from '../domain/testing/read-model-facts';
import { activeReadModels } from '../read-models/active-read-models';
import { dumpReadModels } from '../read-models/testing/mongo-test-database';
import { rebuildReadModels } from '../replay/rebuild-read-models';

// The projection worker as its own process against real PostgreSQL (event store), FerretDB
// (read models) and Kafka (notifications): live projection with notifications, its health
// and lag, and a SIGKILL between writing a batch's documents and saving its checkpoint.

const endpoints = toEndpoints(endpointsInEnv());

let store: PostgresEventStore;
let mongo: MongoClient;
let notifications: Consumer;
const received: GatewayNotification[] = [];

beforeAll(async () => {
  buildWorkspaces();
  store = new PostgresEventStore({ connectionString: endpoints.postgresUrl });
  await store.migrate();
  mongo = new MongoClient(endpoints.mongoUrl);
  await mongo.connect();
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'notification-reader' });
  await ensureTopics(kafka, [Topic.Notifications]);
  notifications = kafka.consumer(latencyConsumerConfig(`notifications-${randomUUID()}`));
  await notifications.connect();
  await notifications.subscribe({ topic: Topic.Notifications, fromBeginning: true });
  await notifications.run({
    eachMessage: async ({ message }) => {
      const parsed = parseNotification(JSON.parse(message.value?.toString() ?? 'null'));
      if (!parsed.success) throw new Error(parsed.message);
      received.push(parsed.data);
    },
  });
}, 120_000);

afterAll(async () => {
  await notifications?.disconnect();
  await mongo?.close();
  await store?.close();
});

/** The worker process, with its own read-model database and health port. */
class WorkerProcess extends ServiceProcess {
  constructor(
    readonly database: string,
    readonly port: number,
  ) {
    const mongoUrl = new URL(endpoints.mongoUrl);
    mongoUrl.pathname = `/${database}`;
    super({
      service: 'projections',
      // The export has tests of its own (export/event-export.int.spec.ts), each on its own topic.
      env: { ...process.env, MONGODB_URL: mongoUrl.toString(), PROJECTIONS_PORT: String(port), EVENT_EXPORT: 'off' },
    });
  }

  /** 503 with an empty body while it is not answering yet. */
  async health(): Promise<{ status: number; body: Record<string, unknown> }> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/health`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    } catch {
      return { status: 503, body: {} };
    }
  }
}

async function append(scenario: Scenario): Promise<void> {
  for (const item of scenario.events) {
    await store.appendToStream(
      item.streamName,
      [{ id: item.id, type: item.event.type, data: item.event.data, metadata: item.metadata }],
      { expectedRevision: 'any' },
    );
  }
}

/** What the active read models say of the scenario, and what its model says (chat-scenario.ts). */
async function factsOf(db: Db, scenario: Scenario): Promise<{ actual: ScenarioExpectations; expected: ScenarioExpectations }> {
  const expected = scenario.expected();
  const stored = (await dumpReadModels(db, await activeReadModels(db))) as unknown as AllDocuments;
  return { actual: sortedReaders(restrictedTo(readModelFacts(stored, expected), expected)), expected: sortedReaders(expected) };
}

describe('projection worker process', () => {
  it('projects events as they are appended, tells the gateways, and reports its lag', async () => {
    const worker = new WorkerProcess(`proj_worker_${randomUUID().slice(0, 8)}`, await freePort());
    await worker.start();
    try {
      const scenario = generateScenario({ seed: 7, events: 300, idPrefix: randomUUID().replace(/-/g, '').slice(0, 8) });
      await append(scenario);
      const db = mongo.db(worker.database);
      const expected = scenario.expected();

      await waitFor(async () => (await worker.health()).body.lagEvents === 0, 30_000);
      const facts = await factsOf(db, scenario);
      expect(facts.actual).toEqual(facts.expected);
      const health = await worker.health();
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', lagEvents: 0 });

      const messageIds = [...expected.messages.keys()];
      await waitFor(
        () =>
          messageIds.every((id) =>
            received.some((n) => n.event === 'new:message' && n.payload.message._id === id),
          ),
        20_000,
      );
      const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      expect(metrics).toMatch(/^projections_lag_events 0$/m);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('follows a rebuild to the newly active read models and keeps projecting into them', async () => {
    const worker = new WorkerProcess(`proj_follow_${randomUUID().slice(0, 8)}`, await freePort());
    await worker.start({ PROJECTIONS_ACTIVE_SET_CHECK_MS: '200' });
    try {
      await append(generateScenario({ seed: 5, events: 100, idPrefix: randomUUID().replace(/-/g, '').slice(0, 8) }));
      await waitFor(async () => (await worker.health()).body.lagEvents === 0, 60_000);
      const db = mongo.db(worker.database);
      const rebuilt = await rebuildReadModels(store, db, { suffix: '_follow', dropDelayMs: 0 });
      await worker.waitForLog('moving to it');

      const later = generateScenario({ seed: 6, events: 100, idPrefix: randomUUID().replace(/-/g, '').slice(0, 8) });
      await append(later);
      await waitFor(async () => (await worker.health()).body.lagEvents === 0, 60_000);
      expect((await activeReadModels(db)).suffix).toBe(rebuilt.collections.suffix);
      const laterIds = [...later.expected().messages.keys()];
      expect(laterIds.length).toBeGreaterThan(0);
      const facts = await factsOf(db, later);
      expect(facts.actual).toEqual(facts.expected);
    } finally {
      await worker.stop();
    }
  }, 180_000);

  it('SIGKILLed after writing a batch and before its checkpoint: nothing is duplicated on restart', async () => {
    const worker = new WorkerProcess(`proj_kill_${randomUUID().slice(0, 8)}`, await freePort());
    // Catch up with what the store holds already, so the batch cut short is ours.
    await worker.start();
    await waitFor(async () => (await worker.health()).body.lagEvents === 0, 60_000);
    await worker.stop();
    const scenario = generateScenario({ seed: 11, events: 200, idPrefix: randomUUID().replace(/-/g, '').slice(0, 8) });
    await append(scenario);
    await worker.start({ PROJECTIONS_FAULT_PAUSE_BEFORE_CHECKPOINT_MS: '60000' });
    await worker.waitForLog('pausing before the checkpoint');
    await worker.stop('SIGKILL');

    await worker.start();
    try {
      const db = mongo.db(worker.database);
      const expected = scenario.expected();
      await waitFor(async () => (await worker.health()).body.lagEvents === 0, 30_000);

      const facts = await factsOf(db, scenario);
      expect(facts.actual).toEqual(facts.expected);
      // Each message once in its conversation's timeline.
      const timeline = (await dumpReadModels(db, await activeReadModels(db))).timeline as TimelinePageDoc[];
      const seen = timeline.flatMap((page) => page.messages.map((message) => message._id)).filter((id) => expected.messages.has(id));
      expect(seen.sort()).toEqual([...expected.messages.keys()].sort());
      // Each notification of the batch reached the topic, a copy only ever with the same dedupe key.
      const ours = received.filter((n) => n.event === 'new:message' && expected.messages.has(n.payload.message._id));
      const keys = new Set(ours.map((n) => n.dedupeKey));
      expect(keys.size).toBe(expected.messages.size);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('SIGKILLed after publishing a batch and before writing it: the read models are complete on restart, and no client hears anything twice', async () => {
    const worker = new WorkerProcess(`proj_kill_pub_${randomUUID().slice(0, 8)}`, await freePort());
    await worker.start();
    await waitFor(async () => (await worker.health()).body.lagEvents === 0, 60_000);
    await worker.stop();
    const scenario = generateScenario({ seed: 12, events: 200, idPrefix: randomUUID().replace(/-/g, '').slice(0, 8) });
    await append(scenario);
    await worker.start({ PROJECTIONS_FAULT_PAUSE_BEFORE_WRITE_MS: '60000' });
    await worker.waitForLog('pausing before writing the read models');
    const expected = scenario.expected();
    const ours = (): GatewayNotificationOf<'new:message'>[] =>
      received.filter((n): n is GatewayNotificationOf<'new:message'> => n.event === 'new:message' && expected.messages.has(n.payload.message._id));
    // Published before anything was written: the clients know of messages the read models lack.
    await waitFor(() => ours().length > 0, 20_000);
    await worker.stop('SIGKILL');

    await worker.start();
    try {
      const db = mongo.db(worker.database);
      await waitFor(async () => (await worker.health()).body.lagEvents === 0, 30_000);
      const facts = await factsOf(db, scenario);
      expect(facts.actual).toEqual(facts.expected);
      await waitFor(() => new Set(ours().map((n) => n.payload.message._id)).size === expected.messages.size, 20_000);
      // The batch was told twice, each copy under its first key: a gateway, which drops a key
      // it has seen, lets one through per message.
      const copies = ours();
      expect(copies.length).toBeGreaterThan(expected.messages.size);
      const seenKeys = new Set<string>();
      const heard = copies.filter((n) => n.dedupeKey !== undefined && !seenKeys.has(n.dedupeKey) && seenKeys.add(n.dedupeKey)).map((n) => n.payload.message._id);
      expect(heard.sort()).toEqual([...expected.messages.keys()].sort());
      expect(copies.every((n) => n.position !== undefined)).toBe(true);
    } finally {
      await worker.stop();
    }
  }, 120_000);
});
