import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KafkaHeader, parseEvent, publishedEventSchema, Topic } from '@chat/contracts';
import {
  comparePositions,
  createKafka,
  endpointsInEnv,
  ensureTopics,
  formatPosition,
  freePort,
  parsePosition,
  PostgresEventStore,
  type RecordedEvent,
  startOfAll,
  toEndpoints,
} from '@chat/runtime';
import { buildWorkspaces, ServiceProcess, waitFor } from '@chat/runtime/testing';
import { ConfigResourceTypes, type Kafka, type PartitionMetadata } from 'kafkajs';
import { generateScenario } from '../domain/testing/chat-scenario';
import { projectedStreamPrefixes } from '../read-models/projected-events';
import { appendScenario, openScratchEventStore, type ScratchEventStore } from '../replay/testing/scratch-event-store';
import { EventExport, exportMessage, partitionOfStream } from './event-export';
import { readTopicRanges, topicRanges } from './topic-range';

// The analysts' stream against real Kafka and the PostgreSQL event store: every event once,
// in each stream's order, valid against the contract; a half-sent batch completed exactly
// once by the next exporter; and the service SIGKILLed mid-export, restarted, duplicating
// and losing nothing.

const endpoints = toEndpoints(endpointsInEnv());
let kafka: Kafka;

beforeAll(() => {
  buildWorkspaces();
  kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'event-export-test' });
});

async function newTopic(): Promise<{ topic: string; partitions: PartitionMetadata[] }> {
  const topic = `chat.events.test-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 8, replicationFactor: -1 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return { topic, partitions: metadata.topics[0]?.partitions ?? [] };
  } finally {
    await admin.disconnect();
  }
}

interface Received {
  readonly partition: number;
  readonly key: string;
  readonly headers: Record<string, string>;
  readonly value: unknown;
}

/** Everything on the topic now. */
async function readTopic(topic: string): Promise<Received[]> {
  const received: Received[] = [];
  const { ranges } = await topicRanges(kafka, topic);
  await readTopicRanges(
    kafka,
    topic,
    ranges,
    (partition, message) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      received.push({ partition, key: message.key?.toString() ?? '', headers, value: JSON.parse(message.value?.toString() ?? 'null') });
    },
    { timeoutMs: 30_000, what: `every message of ${topic}` },
  );
  return received;
}

/** The domain's events in the store: what the export is to publish. */
async function readStore(store: PostgresEventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after = startOfAll;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 2_000, filter: { streamPrefixes: projectedStreamPrefixes } });
    events.push(...page);
    const last = page[page.length - 1];
    if (!last || page.length < 2_000) return events;
    after = last.position;
  }
}

/** Each event once, valid against the contract, each stream in order on its one partition. */
function expectExactlyOnce(received: readonly Received[], events: readonly RecordedEvent[], partitions: PartitionMetadata[]): void {
  const ids = received.map((r) => (r.value as { eventId: string }).eventId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
  const byId = new Map(events.map((e) => [e.id, e]));
  const lastRevision = new Map<string, number>();
  for (const message of received) {
    const parsed = publishedEventSchema.safeParse(message.value);
    if (!parsed.success) throw new Error(`not a PublishedEvent: ${JSON.stringify(message.value)}`);
    const published = parsed.data;
    const stored = byId.get(published.eventId);
    expect(published).toMatchObject({ streamName: stored?.streamName, streamPosition: Number(stored?.revision), type: stored?.type });
    expect(parseEvent(published.type, published.version, published.data).success).toBe(true);
    expect(message.key).toBe(published.streamName);
    expect(message.partition).toBe(partitionOfStream(published.streamName, partitions));
    expect(message.headers[KafkaHeader.EventPosition]).toBe(stored && formatPosition(stored.position));
    // Received in partition order: a stream's events come in revision order.
    const before = lastRevision.get(published.streamName) ?? -1;
    expect(published.streamPosition).toBeGreaterThan(before);
    lastRevision.set(published.streamName, published.streamPosition);
  }
}

describe('EventExport (PostgreSQL event store, Kafka)', () => {
  let scratch: ScratchEventStore;

  beforeEach(async () => {
    scratch = await openScratchEventStore(endpoints.postgresUrl, 'proj_export');
  });

  afterEach(async () => {
    await scratch?.drop();
  });

  it('publishes every event once, in each stream’s order, then follows new appends', async () => {
    const { topic, partitions } = await newTopic();
    const scenario = generateScenario({ seed: 31, events: 600, users: 10, groups: 4, directs: 8 });
    await appendScenario(scratch.store, scenario.events.slice(0, 400));
    // Messaging's snapshot of a long stream sits in the store beside the domain's events, and
    // is no event of the export's contract.
    const [first] = await scratch.store.readAll({ maxCount: 1 });
    if (!first) throw new Error('the scenario appended nothing');
    await scratch.store.appendToStream(
      `snapshot-${first.streamName}`,
      [{ id: randomUUID(), type: 'StateSnapshot', data: { revision: '0', state: {}, recentCommands: [] }, metadata: first.metadata }],
      { expectedRevision: 'no_stream' },
    );
    const exporter = new EventExport({ store: scratch.store, kafka, topic, maxBatch: 37 });
    await exporter.start();
    try {
      await waitFor(() => exporter.status().publishedEvents === 400, 30_000, () => `400 events exported (${exporter.status().publishedEvents})`);
      await appendScenario(scratch.store, scenario.events.slice(400));
      await waitFor(() => exporter.status().publishedEvents === 600, 30_000, () => `600 events exported (${exporter.status().publishedEvents})`);
      expect(exporter.status()).toMatchObject({ running: true, skippedEvents: 0, error: null });
    } finally {
      await exporter.stop();
    }
    const events = await readStore(scratch.store);
    expectExactlyOnce(await readTopic(topic), events, partitions);

    // The analysts' export of the topic to a file: the same events, one JSON object per line.
    const file = join(tmpdir(), `events-${randomUUID()}.ndjson`);
    await cli('events-export', ['--topic', topic, '--out', file, '--upcast']);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((text) => publishedEventSchema.parse(JSON.parse(text)));
    expect(lines.map((line) => line.eventId).sort()).toEqual(events.map((e) => e.id).sort());
  }, 120_000);

  it('completes a half-sent batch exactly once: only what each partition lacks is sent again', async () => {
    const { topic, partitions } = await newTopic();
    const scenario = generateScenario({ seed: 32, events: 300, users: 8, groups: 3, directs: 6 });
    await appendScenario(scratch.store, scenario.events);
    const events = await readStore(scratch.store);
    // What a crashed exporter leaves: two whole batches, then a third that reached only some partitions.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER } });
    await producer.connect();
    const send = async (batch: readonly RecordedEvent[], batchAfter: string, toPartition: (p: number) => boolean): Promise<void> => {
      const messages = batch.map((e) => exportMessage(e, partitionOfStream(e.streamName, partitions), batchAfter)).filter((m) => toPartition(m.partition));
      await producer.send({ topic, acks: -1, messages });
    };
    const at = (index: number): string => formatPosition((events[index] as RecordedEvent).position);
    await send(events.slice(0, 50), 'start', () => true);
    await send(events.slice(50, 100), at(49), () => true);
    await send(events.slice(100, 150), at(99), (p) => p % 2 === 0);
    await producer.disconnect();
    const halfSent = events.slice(100, 150).filter((e) => partitionOfStream(e.streamName, partitions) % 2 === 0).length;
    expect(halfSent).toBeGreaterThan(0);
    expect(halfSent).toBeLessThan(50);

    const exporter = new EventExport({ store: scratch.store, kafka, topic, maxBatch: 40 });
    await exporter.start();
    try {
      await waitFor(() => exporter.status().position === at(events.length - 1), 30_000, () => `export up to ${at(events.length - 1)}`);
      // Re-read from the third batch's start: its half already on the topic is not sent again.
      expect(exporter.status()).toMatchObject({ skippedEvents: halfSent, publishedEvents: events.length - 100 - halfSent });
    } finally {
      await exporter.stop();
    }
    expectExactlyOnce(await readTopic(topic), events, partitions);
  }, 120_000);

  it('refuses to guess when a partition was emptied (retention, deleted records), and says so', async () => {
    const { topic } = await newTopic();
    const scenario = generateScenario({ seed: 35, events: 200, users: 6, groups: 2, directs: 4 });
    await appendScenario(scratch.store, scenario.events);
    const first = new EventExport({ store: scratch.store, kafka, topic });
    await first.start();
    await waitFor(() => first.status().publishedEvents === 200, 30_000, () => 'the first export');
    await first.stop();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    const emptied = offsets.find(({ high }) => Number(high) > 0);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: emptied?.partition ?? 0, offset: '-1' }] });
    await admin.disconnect();

    const second = new EventExport({ store: scratch.store, kafka, topic, restartDelayMs: 60_000 });
    await second.start();
    try {
      await waitFor(() => second.status().error !== null, 30_000, () => 'the export to report the emptied partition');
      expect(second.status()).toMatchObject({ running: false, publishedEvents: 0 });
      expect(second.status().error).toMatch(new RegExp(`partitions ${emptied?.partition} held events and hold none now`));
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('keeps the analysts’ topic forever, also one created by an older build with the broker’s retention', async () => {
    await ensureTopics(kafka, [Topic.Events]);
    const admin = kafka.admin();
    await admin.connect();
    const retention = async (): Promise<string | undefined> => {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: Topic.Events, configNames: ['retention.ms'] }],
      });
      return described.resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
    };
    try {
      expect(await retention()).toBe('-1');
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: Topic.Events, configEntries: [{ name: 'retention.ms', value: '604800000' }] }],
      });
      expect(await retention()).toBe('604800000');
      await ensureTopics(kafka, [Topic.Events]);
      expect(await retention()).toBe('-1');
    } finally {
      await admin.disconnect();
    }
  });

  it('prints a conversation’s whole history for an audit, as stored, oldest first', async () => {
    const store = new PostgresEventStore({ connectionString: endpoints.postgresUrl });
    try {
      await store.migrate();
      const scenario = generateScenario({ seed: 34, events: 200, users: 6, groups: 2, directs: 3, idPrefix: randomUUID().replace(/-/g, '').slice(0, 8) });
      await appendScenario(store, scenario.events);
      const streamName = scenario.events.find((e) => e.streamName.startsWith('conversation-'))?.streamName ?? '';
      const stored = await store.readStream(streamName);
      expect(stored.length).toBeGreaterThan(1);

      const json = await cli('stream-history', ['conversation', streamName.slice('conversation-'.length), '--json']);
      const printed = json.trim().split('\n').map((text) => JSON.parse(text) as { eventId: string; revision: number; type: string; metadata: unknown });
      expect(printed.map((e) => [e.eventId, e.revision, e.type])).toEqual(stored.map((e) => [e.id, Number(e.revision), e.type]));
      expect(printed[0]?.metadata).toEqual(stored[0]?.metadata);

      const text = await cli('stream-history', [streamName]);
      expect(text.trim().split('\n')).toHaveLength(stored.length);
      expect(text).toContain(`by ${stored[0]?.metadata.userId}`);
      expect(await cli('stream-history', ['user', 'aaaaaaaaaaaaaaaaaaaaaaaa'])).toBe('');
      await expect(cli('stream-history', ['conversation'])).rejects.toThrow(/usage: history/);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('SIGKILLed while exporting: restarted, it loses and duplicates nothing', async () => {
    const { topic, partitions } = await newTopic();
    const store = new PostgresEventStore({ connectionString: endpoints.postgresUrl });
    await store.migrate();
    const port = await freePort();
    const database = new URL(endpoints.mongoUrl);
    database.pathname = `/proj_export_${randomUUID().slice(0, 8)}`;
    const service = new ServiceProcess({
      service: 'projections',
      env: { ...process.env, MONGODB_URL: database.toString(), PROJECTIONS_PORT: String(port), EVENT_EXPORT_TOPIC: topic },
    });
    const health = async (): Promise<{ export?: { lagEvents: number | null; position: string | null; publishedEvents: number } }> => {
      const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      return response ? ((await response.json()) as { export?: { lagEvents: number | null; position: string | null; publishedEvents: number } }) : {};
    };
    try {
      await service.start();
      const scenario = generateScenario({ seed: 33, events: 3_000, idPrefix: randomUUID().replace(/-/g, '').slice(0, 8) });
      const appending = appendScenario(store, scenario.events, 4);
      // Killed once it has published some of them, while appends go on.
      await waitFor(async () => ((await health()).export?.publishedEvents ?? 0) > 500, 60_000, () => 'the export to publish 500 events');
      await service.stop('SIGKILL');
      await service.start();
      await appending;
      await waitFor(async () => (await health()).export?.lagEvents === 0, 60_000, () => 'the export to catch up');
      const exported = (await health()).export?.position;
      expect(exported).toBeTruthy();
      // The shared store: everything up to where the export says it is, other tests' events included.
      // The shared store, other suites' events included, which keep coming: everything up to
      // where the export said it was is on the topic once, and nothing else is on it twice.
      const upTo = parsePosition(exported ?? '');
      const received = await readTopic(topic);
      const stored = await readStore(store);
      const storedIds = new Set(stored.map((e) => e.id));
      const receivedIds = received.map((r) => (r.value as { eventId: string }).eventId);
      expect(new Set(receivedIds).size).toBe(receivedIds.length);
      expect(receivedIds.filter((id) => !storedIds.has(id))).toEqual([]);
      const upToExported = stored.filter((e) => comparePositions(e.position, upTo) <= 0);
      const onTopic = new Set(receivedIds);
      expect(upToExported.filter((e) => !onTopic.has(e.id)).map((e) => e.id)).toEqual([]);
      expectExactlyOnce(
        received.filter((r) => upToExported.some((e) => e.id === (r.value as { eventId: string }).eventId)),
        upToExported,
        partitions,
      );
    } finally {
      await service.stop();
      await store.close();
    }
  }, 180_000);
});

const run = promisify(execFile);

/** Runs one of the export CLIs (built) with the test's endpoints; answers its standard output. */
async function cli(name: 'events-export' | 'stream-history', args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(__dirname, '../../dist/export', `${name}.cli.js`), ...args], {
    env: process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
