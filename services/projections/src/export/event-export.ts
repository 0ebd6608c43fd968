import { KafkaHeader, type PublishedEvent, Topic } from '@chat/contracts';
import {
  type EventStore,
  formatPosition,
  type GlobalPosition,
  type RecordedEvent,
  reliableProducerConfig,
  type Subscription,
} from '@chat/runtime';
import { type Kafka, type Message, type PartitionMetadata, Partitioners, type Producer } from 'kafkajs';
import { projectedStreamPrefixes } from '../read-models/projected-events';
import { alreadyPublished, type PublishedEdge, readPublishedEdge } from './published-edge';

export interface EventExportOptions {
  readonly store: EventStore;
  readonly kafka: Kafka;
  /** Default: the analysts' topic, `chat.events.v1`. */
  readonly topic?: string;
  readonly log?: (line: string) => void;
  /** Most events per send. Default 500. */
  readonly maxBatch?: number;
  /**
   * How long an incomplete batch waits for more events. Default 250 ms: a batch goes out as
   * one send per partition, so at 200 events/s a 20 ms wait cost eight produce requests
   * every 20 ms (a quarter of all the broker's requests); the analysts' stream is not on
   * anyone's delivery path, and a quarter of a second behind is as good as live for it.
   */
  readonly lingerMs?: number;
  /** Wait before starting again after a failure. Default 1,000 ms. */
  readonly restartDelayMs?: number;
}

export interface EventExportStatus {
  readonly running: boolean;
  /** Position of the last event known to be on the topic (published or found there). */
  readonly position: string | null;
  readonly publishedEvents: number;
  /** Events found on the topic already after a restart, and so not sent again. */
  readonly skippedEvents: number;
  readonly batches: number;
  readonly error: string | null;
}

/**
 * Publishes every event of the store, in store order, to the analysts' topic: each exactly
 * once, keyed by its stream (so one stream's events stay in order on one partition), with
 * the PublishedEvent schema of contracts as value.
 *
 * The topic is its own checkpoint. Batches go out one after another, with an idempotent
 * producer (no duplicates from the client's own retries); each message names its event's
 * position and the position its batch started after. A restarted exporter reads the last
 * message of every partition, re-reads the store from the start of the newest batch, and
 * sends only what the partitions do not hold yet (published-edge.ts). No second store of
 * progress can disagree with the topic, and a crash at any point loses and duplicates nothing.
 *
 * One exporter per topic: a second would interleave batches and break that reasoning.
 */
export class EventExport {
  private readonly topic: string;
  private readonly log: (line: string) => void;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly restartDelayMs: number;
  private producer: Producer | undefined;
  private partitions: PartitionMetadata[] = [];
  private subscription: Subscription | undefined;
  /** What the topic held when this run started (undefined: nothing). */
  private edge: PublishedEdge | undefined;
  /** Events to send, each with its value on the topic (serialized once, also to size the batch). */
  private pending: { readonly event: RecordedEvent; readonly value: string }[] = [];
  private pendingBytes = 0;
  /** The position the next batch starts after (undefined: the first event of the store). */
  private sentUpTo: GlobalPosition | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private lingerTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running = false;
  private published = 0;
  private skipped = 0;
  private batches = 0;
  private lastError: string | null = null;
  /** Failures since a run last started. */
  private failures = 0;
  /** Bumped by every (re)start, so that a failing run's leftovers do not touch the next one. */
  private run = 0;

  constructor(private readonly options: EventExportOptions) {
    this.topic = options.topic ?? Topic.Events;
    this.log = options.log ?? (() => undefined);
    this.maxBatch = options.maxBatch ?? 500;
    this.lingerMs = options.lingerMs ?? 250;
    this.restartDelayMs = options.restartDelayMs ?? 1_000;
  }

  status(): EventExportStatus {
    return {
      running: this.running,
      position: this.sentUpTo ? formatPosition(this.sentUpTo) : null,
      publishedEvents: this.published,
      skippedEvents: this.skipped,
      batches: this.batches,
      error: this.lastError,
    };
  }

  /** The position of the last event known to be on the topic: for lag. */
  get position(): GlobalPosition | undefined {
    return this.sentUpTo;
  }

  /** Starts exporting in the background; every failure, from the first, is reported in status() and retried. */
  start(): Promise<void> {
    const run = ++this.run;
    this.begin(run).catch((error: unknown) => this.fail(error, run));
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.run += 1;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.restartTimer);
    await this.subscription?.close();
    await this.flushing.catch(() => undefined);
    this.running = false;
    await this.producer?.disconnect();
  }

  /** Finds where the topic is, and follows the store from there, with a producer of its own. */
  private async begin(run: number): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    // A fresh producer id per run: after a failed send kafkajs's sequence numbers may not
    // match what the broker holds, and reusing them could drop or refuse later batches. Its
    // own retries are bounded, so an outage surfaces as a failure (and a restart from the
    // topic), and stop() never waits on a send that retries forever.
    await this.producer?.disconnect().catch(() => undefined);
    const producer = this.options.kafka.producer({ ...reliableProducerConfig(), idempotent: true });
    this.producer = producer;
    // Whatever this run opened is closed again if a stop (or a newer run) came meanwhile.
    const superseded = async (): Promise<boolean> => {
      if (run === this.run) return false;
      await producer.disconnect().catch(() => undefined);
      return true;
    };
    await producer.connect();
    if (await superseded()) return;
    this.partitions = await this.topicPartitions();
    const edge = await readPublishedEdge(this.options.kafka, this.topic);
    if (await superseded()) return;
    if (edge.emptied.length > 0) {
      throw new Error(
        `${this.topic}: partitions ${edge.emptied.join(', ')} held events and hold none now (retention or deleted records); ` +
          'not knowing what they held, the export will not publish the history again on its own: to export everything anew, stop this service, recreate the topic and start it',
      );
    }
    this.edge = edge.lastOnPartition.size > 0 ? edge : undefined;
    this.sentUpTo = this.edge?.resumeAfter;
    this.log(`exporting events to ${this.topic} after ${this.sentUpTo ? formatPosition(this.sentUpTo) : 'the start'}`);
    const subscription = await this.options.store.subscribeToAll({
      ...(this.sentUpTo ? { after: this.sentUpTo } : {}),
      // The domain's streams only: messaging's snapshots of long streams are its own cache,
      // rebuilt from these events, and no event analysts could read.
      filter: { streamPrefixes: projectedStreamPrefixes },
      // Batches leave once per linger anyway: the store is read as often, not once per append.
      readIntervalMs: this.lingerMs,
      onEvent: (event) => this.accept(event, run),
      onError: (error) => this.fail(error, run),
    });
    if (run !== this.run) {
      await subscription.close();
      await producer.disconnect().catch(() => undefined);
      return;
    }
    this.subscription = subscription;
    this.running = true;
    this.lastError = null;
    this.failures = 0;
  }

  private async topicPartitions(): Promise<PartitionMetadata[]> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new Error(`${this.topic} has no partitions`);
      return partitions;
    } finally {
      await admin.disconnect();
    }
  }

  private async accept(event: RecordedEvent, run: number): Promise<void> {
    if (run !== this.run) return;
    // Events the topic holds already stay in the batch too (and are left out when it is
    // sent): the batch's start position must not pass events still to be sent.
    const value = JSON.stringify(publishedEvent(event));
    this.pending.push({ event, value });
    // At most 3 bytes of UTF-8 per UTF-16 unit, plus key and headers.
    this.pendingBytes += 3 * value.length + 1_024;
    if (this.pending.length >= this.maxBatch || this.pendingBytes >= MAX_BATCH_BYTES) {
      await this.flush(run);
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.flush(run).catch((error: unknown) => this.fail(error, run));
      }, this.lingerMs);
    }
  }

  /** Sends what is pending as one batch, after any batch still going out. */
  private flush(run: number): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const next = this.flushing.then(() => this.send(run));
    this.flushing = next.catch(() => undefined);
    return next;
  }

  private async send(run: number): Promise<void> {
    const producer = this.producer;
    if (run !== this.run || this.pending.length === 0 || !producer) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const batchAfter = this.sentUpTo ? formatPosition(this.sentUpTo) : 'start';
    const edge = this.edge;
    const byPartition = new Map<number, Message[]>();
    let toSend = 0;
    for (const { event, value } of batch) {
      const partition = this.partitionOf(event);
      if (edge && alreadyPublished(edge, partition, event.position)) continue;
      const messages = byPartition.get(partition) ?? [];
      messages.push(exportMessage(event, partition, batchAfter, value));
      byPartition.set(partition, messages);
      toSend += 1;
    }
    // One send per partition: kafkajs regroups a multi-partition send by leader when it
    // retries, which can leave a partition out after a leadership move. Every send settles
    // before a failure is reported, so a restart never reads the topic under a send still
    // in flight.
    const results = await Promise.allSettled(
      [...byPartition.values()].map((messages) => producer.send({ topic: this.topic, acks: -1, messages })),
    );
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    if (run !== this.run) return;
    this.published += toSend;
    this.skipped += batch.length - toSend;
    this.batches += toSend > 0 ? 1 : 0;
    const last = batch[batch.length - 1];
    if (last) this.sentUpTo = last.event.position;
  }

  private partitionOf(event: RecordedEvent): number {
    return partitionOfStream(event.streamName, this.partitions);
  }

  /** Stops this run and starts again from what the topic holds. */
  private fail(error: unknown, run: number): void {
    if (run !== this.run || this.stopped) return;
    this.run += 1;
    this.running = false;
    this.lastError = error instanceof Error ? error.message : String(error);
    // Doubling up to 30 s while failures repeat (Kafka down): a retry a second would only add noise.
    const delay = Math.min(this.restartDelayMs * 2 ** Math.min(this.failures, 5), Math.max(this.restartDelayMs, 30_000));
    this.failures += 1;
    this.log(`export stopped: ${this.lastError}; starting again in ${delay} ms`);
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    void (async () => {
      await subscription?.close().catch(() => undefined);
      await this.flushing.catch(() => undefined);
      if (this.stopped) return;
      this.restartTimer = setTimeout(() => {
        if (this.stopped) return;
        const next = ++this.run;
        this.begin(next).catch((err: unknown) => this.fail(err, next));
      }, delay);
    })();
  }
}

/**
 * Bytes per send, across its partitions: each partition's share stays under the broker's
 * default 1 MB record-batch limit (a message text can be 192 KB of UTF-8).
 */
const MAX_BATCH_BYTES = 512 * 1024;

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The partition of a stream's events: murmur2 of the key, as Java clients and kafkajs's
 * default partitioner compute it, chosen here so the exporter knows where each event went.
 */
export function partitionOfStream(streamName: string, partitions: PartitionMetadata[]): number {
  return partitioner({ topic: '', partitionMetadata: partitions, message: { key: streamName, value: null } });
}

/** One event as a message of the analysts' topic; `batchAfter`: where its batch started ('start' for the first). */
export function exportMessage(
  event: RecordedEvent,
  partition: number,
  batchAfter: string,
  value = JSON.stringify(publishedEvent(event)),
): Message & { partition: number } {
  return {
    key: event.streamName,
    partition,
    value,
    headers: {
      [KafkaHeader.Type]: event.type,
      [KafkaHeader.Version]: String(event.metadata.schemaVersion),
      [KafkaHeader.EventPosition]: formatPosition(event.position),
      [KafkaHeader.BatchAfter]: batchAfter,
    },
  };
}

/** The value on the analysts' topic: the stored event as written (consumers upcast with parseEvent). */
export function publishedEvent(event: RecordedEvent): PublishedEvent {
  return {
    eventId: event.id,
    streamName: event.streamName as PublishedEvent['streamName'],
    streamPosition: Number(event.revision),
    type: event.type,
    version: event.metadata.schemaVersion,
    data: event.data,
    metadata: event.metadata,
  };
}
