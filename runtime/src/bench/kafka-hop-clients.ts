import type {
  Consumer as PlatformaticConsumer,
  Message,
  MessagesStream,
  Producer as PlatformaticProducer,
  ProducerOptions,
} from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import type { Consumer, Kafka, Message as KafkajsMessage, Producer, ProducerBatch, ProducerConfig } from 'kafkajs';
import { BatchingProducer } from '../kafka/batching-producer';
import { createKafka, latencyConsumerConfig } from '../kafka/kafka';
import { TimedOffsetCommits } from '../kafka/timed-offset-commits';

/** The ESM-only client, loaded with import() from this CommonJS build. */
export type PlatformaticKafka = typeof import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } });

/** Partitions of each topic the bench creates: as many as our busiest topics have. */
export const HOP_PARTITIONS = 8;

/** Requests a client sent, by Kafka API name, counted by the client's own instrumentation. */
export class RequestCounts {
  private readonly counts = new Map<string, number>();

  add(api: string): void {
    this.counts.set(api, (this.counts.get(api) ?? 0) + 1);
  }

  snapshot(): ReadonlyMap<string, number> {
    return new Map(this.counts);
  }
}

/**
 * One Kafka hop as our services make it: a producer that resolves once the broker has the
 * record, and a consumer in a group that hands each record's value to `onValue`.
 */
export interface HopClient {
  start(topic: string, groupId: string, onValue: (value: Buffer) => void): Promise<void>;
  send(key: string, value: string, headers: Readonly<Record<string, string>>): Promise<void>;
  readonly requests: RequestCounts;
  stop(): Promise<void>;
}

export interface HopVariant {
  readonly label: string;
  readonly library: 'kafkajs' | 'platformatic' | 'none';
  /** What the variant sets, for the report. */
  readonly settings: string;
  create(brokers: readonly string[], clientId: string): HopClient;
}

/**
 * kafkajs as our services use it: `createKafka`, the given producer config behind our group
 * commit (BatchingProducer, acks all), and JsonTopicConsumer's consumer loop (per-record
 * offsets, timed commits, partitions consumed concurrently).
 */
export class KafkajsHop implements HopClient {
  readonly requests = new RequestCounts();
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private batching: BatchingProducer | undefined;
  private consumer: Consumer | undefined;
  private commits: TimedOffsetCommits | undefined;
  private topic = '';

  constructor(
    brokers: readonly string[],
    clientId: string,
    private readonly producerConfig: ProducerConfig,
  ) {
    this.kafka = createKafka({ brokers, clientId });
  }

  async start(topic: string, groupId: string, onValue: (value: Buffer) => void): Promise<void> {
    this.topic = topic;
    const count = (event: { payload: { apiName: string } }): void => this.requests.add(event.payload.apiName);
    const producer = this.kafka.producer(this.producerConfig);
    producer.on(producer.events.REQUEST, count);
    this.producer = producer;
    this.batching = new BatchingProducer(producer);
    const consumer = this.kafka.consumer(latencyConsumerConfig(groupId));
    consumer.on(consumer.events.REQUEST, count);
    this.consumer = consumer;
    const commits = new TimedOffsetCommits(consumer);
    this.commits = commits;
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: HOP_PARTITIONS,
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
        commits.track(async () => {
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || !commits.accepting) return;
            if (message.value) onValue(message.value);
            resolveOffset(message.offset);
            commits.handled(topic, batch.partition, message.offset);
            await heartbeat();
          }
        }),
    });
  }

  send(key: string, value: string, headers: Readonly<Record<string, string>>): Promise<void> {
    if (!this.batching) return Promise.reject(new Error('not started'));
    return this.batching.send(this.topic, [{ key, value, headers: { ...headers } }]);
  }

  async stop(): Promise<void> {
    await this.commits?.stop();
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}

/**
 * Metadata kept as long as kafkajs keeps it (5 min, its default): @platformatic/kafka's default
 * of 5 s would add a metadata request every 5 s to its consumer's fetch loop.
 */
const PLATFORMATIC_METADATA_MAX_AGE_MS = 300_000;

/**
 * The settings kafkajs's latencyConsumerConfig gives ours, in @platformatic/kafka's terms. Its
 * offsets are committed on a timer too (`autocommit` as an interval, the same 1 s as
 * TimedOffsetCommits), though of the records fetched rather than of those handled: at least
 * once, as ours, would take each message's own `commit()`.
 */
const platformaticConsumerSettings = {
  minBytes: 1,
  maxWaitTime: 2_000,
  sessionTimeout: 10_000,
  rebalanceTimeout: 15_000,
  heartbeatInterval: 3_000,
  autocommit: 1_000,
  metadataMaxAge: PLATFORMATIC_METADATA_MAX_AGE_MS,
} as const;

type PlatformaticProducerSettings = Pick<ProducerOptions<string, string, string, string>, 'idempotent'>;

/**
 * @platformatic/kafka with the producer settings given, either behind our group commit (the
 * same BatchingProducer kafkajs gets, so that only the client differs) or with one `send` per
 * record (how the client is meant to be used on its own: its connection queues the requests).
 */
export class PlatformaticHop implements HopClient {
  readonly requests = new RequestCounts();
  private producer: PlatformaticProducer<string, string, string, string> | undefined;
  private consumer: PlatformaticConsumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private batching: BatchingProducer | undefined;
  private topic = '';
  private readonly countRequest = (context: unknown): void => {
    const apiKey = (context as { apiKey?: number }).apiKey;
    this.requests.add(apiKey === undefined ? 'unknown' : (this.lib.protocolAPIsById[apiKey] ?? `api ${apiKey}`));
  };

  constructor(
    private readonly lib: PlatformaticKafka,
    private readonly brokers: readonly string[],
    private readonly clientId: string,
    private readonly producerSettings: PlatformaticProducerSettings,
    private readonly sending: 'group commit' | 'send per record',
  ) {}

  async start(topic: string, groupId: string, onValue: (value: Buffer) => void): Promise<void> {
    this.topic = topic;
    const { lib } = this;
    // The client's diagnostics channel sees every request of every instance in the process:
    // only this variant's clients run while it is subscribed.
    lib.connectionsApiChannel.start.subscribe(this.countRequest);
    const producer = new lib.Producer<string, string, string, string>({
      clientId: `${this.clientId}-producer`,
      bootstrapBrokers: [...this.brokers],
      serializers: lib.stringSerializers,
      // Murmur2 as Java clients (and kafkajs's DefaultPartitioner) do: a key lands on the same partition.
      partitioner: lib.compatibilityPartitioner,
      metadataMaxAge: PLATFORMATIC_METADATA_MAX_AGE_MS,
      ...this.producerSettings,
    });
    this.producer = producer;
    if (this.sending === 'group commit') this.batching = new BatchingProducer(asKafkajsProducer(producer));
    const consumer = new lib.Consumer({
      clientId: `${this.clientId}-consumer`,
      bootstrapBrokers: [...this.brokers],
      groupId,
      ...platformaticConsumerSettings,
    });
    this.consumer = consumer;
    const stream = await consumer.consume({
      topics: [topic],
      // A new group starts at the beginning, as kafkajs's fromBeginning: nothing sent before the assignment is missed.
      mode: lib.MessagesStreamModes.COMMITTED,
      fallbackMode: lib.MessagesStreamFallbackModes.EARLIEST,
    });
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => onValue(message.value));
    stream.on('error', (err: unknown) => console.error(`[bench] ${this.clientId} consumer stream: ${String(err)}`));
    this.stream = stream;
  }

  async send(key: string, value: string, headers: Readonly<Record<string, string>>): Promise<void> {
    if (this.batching) return this.batching.send(this.topic, [{ key, value, headers: { ...headers } }]);
    if (!this.producer) throw new Error('not started');
    await this.producer.send({ messages: [{ topic: this.topic, key, value, headers: { ...headers } }] });
  }

  async stop(): Promise<void> {
    try {
      await this.stream?.close();
      await this.consumer?.close();
      await this.producer?.close();
    } finally {
      this.lib.connectionsApiChannel.start.unsubscribe(this.countRequest);
    }
  }
}

/**
 * BatchingProducer calls nothing but `sendBatch`: this gives it one made of @platformatic/kafka's
 * `send`, so that both clients are measured behind the same group commit.
 */
function asKafkajsProducer(producer: { send(options: { messages: { topic: string; key?: string; value?: string; headers?: Record<string, string> }[]; acks?: number }): Promise<unknown> }): Producer {
  const text = (part: KafkajsMessage['key'] | KafkajsMessage['value']): string | undefined => (part === null || part === undefined ? undefined : String(part));
  const sendBatch = async ({ topicMessages = [], acks }: ProducerBatch): Promise<[]> => {
    const messages = topicMessages.flatMap(({ topic, messages: list }) =>
      list.map((message) => ({
        topic,
        key: text(message.key),
        value: text(message.value),
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, header]) => [name, String(header)])),
      })),
    );
    await producer.send({ messages, ...(acks === undefined ? {} : { acks }) });
    return [];
  };
  const adapter: Pick<Producer, 'sendBatch'> = { sendBatch };
  return adapter as Producer;
}

/**
 * No Kafka at all: each record handed to the handler on the next turn of the event loop. What
 * the bench itself costs per record (making, timing and parsing records), to take off the
 * clients' figures.
 */
export class NoKafkaHop implements HopClient {
  readonly requests = new RequestCounts();
  private onValue: (value: Buffer) => void = () => undefined;

  async start(_topic: string, _groupId: string, onValue: (value: Buffer) => void): Promise<void> {
    this.onValue = onValue;
  }

  send(_key: string, value: string): Promise<void> {
    const bytes = Buffer.from(value);
    return new Promise((resolve) =>
      setImmediate(() => {
        this.onValue(bytes);
        resolve();
      }),
    );
  }

  async stop(): Promise<void> {}
}

export const NO_KAFKA_LABEL = 'no Kafka (the bench alone)';
/** The variant the others are compared with: kafkajs as the services run it today. */
export const KAFKAJS_OURS_LABEL = 'kafkajs (ours)';

export function hopVariants(lib: PlatformaticKafka, kafkajsProducer: ProducerConfig): readonly HopVariant[] {
  return [
    {
      label: NO_KAFKA_LABEL,
      library: 'none',
      settings: 'records handed from send to the handler in-process: the bench\'s own CPU per record, taken off the others\' to give the client\'s',
      create: () => new NoKafkaHop(),
    },
    {
      label: KAFKAJS_OURS_LABEL,
      library: 'kafkajs',
      settings: 'reliableProducerConfig(): one request in flight, not idempotent; acks all (BatchingProducer)',
      create: (brokers, clientId) => new KafkajsHop(brokers, clientId, kafkajsProducer),
    },
    {
      label: 'platformatic, group commit',
      library: 'platformatic',
      settings: 'idempotent (the client then sets acks all and one request in flight, whatever maxInflights says), behind the same BatchingProducer',
      create: (brokers, clientId) => new PlatformaticHop(lib, brokers, clientId, { idempotent: true }, 'group commit'),
    },
    {
      label: 'kafkajs idempotent',
      library: 'kafkajs',
      settings: 'reliableProducerConfig() + idempotent: true; acks all (BatchingProducer)',
      create: (brokers, clientId) => new KafkajsHop(brokers, clientId, { ...kafkajsProducer, idempotent: true }),
    },
    {
      label: 'platformatic, send per record',
      library: 'platformatic',
      settings: 'idempotent, one `send` per record (its connection queues them)',
      create: (brokers, clientId) => new PlatformaticHop(lib, brokers, clientId, { idempotent: true }, 'send per record'),
    },
  ];
}
