import type { ParseResult, TopicName } from '@chat/contracts';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { latencyConsumerConfig, topicPartitions } from './kafka';
import { TimedOffsetCommits } from './timed-offset-commits';

/**
 * One record at a time, in order within a partition; or a partition's fetched records at
 * once, for a consumer whose work merges (several records, one write) and does not depend on
 * their order. Either way a batch's offsets are committed only once it is handled.
 */
export type RecordHandling<T> =
  | { readonly handle: (value: T) => void | Promise<void>; readonly handleBatch?: never }
  | { readonly handleBatch: (values: readonly T[]) => Promise<void>; readonly handle?: never };

interface ConsumerSettings<T> {
  readonly groupId: string;
  readonly topic: TopicName;
  /** Where a new group starts: the live edge unless told otherwise. */
  readonly fromBeginning?: boolean;
  /** The contracts' parser of what the topic carries. */
  readonly parse: (raw: unknown) => ParseResult<T>;
  /** Records whose key is not this are skipped unread (a topic keyed by its addressee). */
  readonly onlyKey?: string;
  /**
   * False for a group of one process's own that starts at the live edge every time (a
   * gateway's, named after its instance): nothing would ever read its offsets back, so
   * committing them would be requests to the broker for nothing. Default true.
   */
  readonly commitOffsets?: boolean;
  readonly log?: (line: string) => void;
}

export type JsonTopicConsumerOptions<T> = ConsumerSettings<T> & RecordHandling<T>;

/**
 * A consumer of one topic of JSON records checked against a contracts schema: records that
 * do not parse are logged and skipped (one bad record never blocks a partition), `ready`
 * says whether the consumer is in its group (for health).
 */
export class JsonTopicConsumer<T> {
  private readonly consumer: Consumer;
  private readonly commits: TimedOffsetCommits;
  private joined = false;

  constructor(
    kafka: Kafka,
    private readonly options: JsonTopicConsumerOptions<T>,
  ) {
    this.consumer = kafka.consumer(latencyConsumerConfig(options.groupId));
    this.commits = new TimedOffsetCommits(this.consumer, { log: options.log });
  }

  get ready(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const { topic } = this.options;
    const log = this.options.log ?? (() => undefined);
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      log(`${topic} consumer crashed: ${String(payload.error)}`);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? false });
    await this.consumer.run({
      // Records of one partition stay in order; partitions are independent of each other, and
      // one slow partition must not hold back the records of the others.
      partitionsConsumedConcurrently: topicPartitions[topic],
      autoCommit: false,
      // Each record's offset is resolved once it is handled: a failure re-delivers from the
      // record that failed, not the whole batch, and long batches keep the session alive.
      eachBatchAutoResolve: false,
      eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
        this.commits.track(async () => {
          const taking = (): boolean => isRunning() && !isStale() && this.commits.accepting;
          const handledUpTo = async (offset: string): Promise<void> => {
            resolveOffset(offset);
            if (this.options.commitOffsets !== false) this.commits.handled(topic, batch.partition, offset);
            await heartbeat();
          };
          const { handle, handleBatch } = this.options;
          if (handleBatch) {
            const last = batch.messages[batch.messages.length - 1];
            if (!last || !taking()) return;
            const values = batch.messages.flatMap((message) => this.parseRecord(batch.partition, message) ?? []);
            if (values.length > 0) await handleBatch(values.map((value) => value.data));
            await handledUpTo(last.offset);
            return;
          }
          for (const message of batch.messages) {
            if (!taking()) return;
            const value = this.parseRecord(batch.partition, message);
            if (value !== undefined) await handle?.(value.data);
            await handledUpTo(message.offset);
          }
        }),
    });
  }

  /** The record's value, or undefined for one to skip (not ours, unreadable, invalid: logged). */
  private parseRecord(partition: number, { offset, key, value }: KafkaMessage): { data: T } | undefined {
    const { topic, parse, onlyKey } = this.options;
    const log = this.options.log ?? (() => undefined);
    if (!value || (onlyKey !== undefined && key?.toString() !== onlyKey)) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(value.toString());
    } catch {
      log(`unreadable record on ${topic} at ${partition}/${offset}`);
      return undefined;
    }
    const parsed = parse(raw);
    if (!parsed.success) {
      log(`invalid record on ${topic} at ${partition}/${offset}: ${parsed.message}`);
      return undefined;
    }
    return { data: parsed.data };
  }

  async stop(): Promise<void> {
    await this.commits.stop();
    await this.consumer.disconnect();
  }
}
