import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** Offsets [from, to) of one partition. */
export interface PartitionRange {
  readonly from: bigint;
  readonly to: bigint;
}

export interface TopicRanges {
  /** Partition → what it holds now, for every partition that holds anything. */
  readonly ranges: ReadonlyMap<number, PartitionRange>;
  /** Partitions that held messages and hold none now (retention, deleted records). */
  readonly emptied: readonly number[];
}

/** What every partition of `topic` holds now. */
export async function topicRanges(kafka: Kafka, topic: string): Promise<TopicRanges> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ranges = new Map<number, PartitionRange>();
    const emptied: number[] = [];
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(high) > BigInt(low)) ranges.set(partition, { from: BigInt(low), to: BigInt(high) });
      else if (BigInt(high) > 0n) emptied.push(partition);
    }
    return { ranges, emptied };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads the messages of each given partition in its range, in order and each once (a
 * redelivery after a rebalance is dropped), with a consumer group of its own that is deleted
 * afterwards; answers once every range is read. A failure of `onMessage` ends the read: it
 * is rejected rather than thrown into kafkajs, which would retry the message, or restart the
 * consumer and lose the seeks.
 */
export async function readTopicRanges(
  kafka: Kafka,
  topic: string,
  ranges: ReadonlyMap<number, PartitionRange>,
  onMessage: (partition: number, message: KafkaMessage) => void | Promise<void>,
  options: { readonly timeoutMs?: number; readonly what?: string } = {},
): Promise<void> {
  if (ranges.size === 0) return;
  const groupId = `${topic}-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    /** Partition → the next offset to hand over; a partition is done once it reaches its range's end. */
    const next = new Map([...ranges].map(([partition, { from }]) => [partition, from]));
    let open = ranges.size;
    await new Promise<void>((resolve, reject) => {
      const { timeoutMs } = options;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => reject(new Error(`${topic}: could not read ${options.what ?? 'the partitions'} within ${timeoutMs} ms`)), timeoutMs);
      }
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const range = ranges.get(partition);
            const expected = next.get(partition);
            const offset = BigInt(message.offset);
            if (!range || expected === undefined || offset < expected || offset >= range.to) return;
            next.set(partition, offset + 1n);
            try {
              await onMessage(partition, message);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
              return;
            }
            if (offset + 1n >= range.to) open -= 1;
            if (open === 0) resolve();
          },
        })
        .catch(reject);
      for (const [partition, { from }] of ranges) consumer.seek({ topic, partition, offset: from.toString() });
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
