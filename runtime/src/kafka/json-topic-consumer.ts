import type { ParseResult, TopicName } from '@chat/contracts';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { latencyConsumerConfig, topicPartitions } from './kafka';
import { TimedOffsetCommits } from './timed-offset-commits';

export interface JsonTopicConsumerOptions<T> {
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
  /**
   * One record at a time, in order within a partition; a record's offset is committed only
   * once it is handled.
   */
  readonly handle: (value: T) => void | Promise<void>;
  readonly log?: (line: string) => void;
}


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
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || !this.commits.accepting) return;
            const value = this.parseRecord(batch.partition, message);
            if (value !== undefined) await this.options.handle(value.data);
            resolveOffset(message.offset);
            if (this.options.commitOffsets !== false) this.commits.handled(topic, batch.partition, message.offset);
            await heartbeat();
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
