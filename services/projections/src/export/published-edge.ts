import { randomUUID } from 'node:crypto';
import { KafkaHeader } from '@chat/contracts';
import { comparePositions, type GlobalPosition, parsePosition } from '@chat/runtime';
import type { Kafka } from 'kafkajs';

/**
 * How far the analysts' topic got: per partition, the position of its last event, and the
 * position after which the exporter's last (possibly half-sent) batch started.
 */
export interface PublishedEdge {
  /** Re-read the store after this position (undefined: from the start). */
  readonly resumeAfter: GlobalPosition | undefined;
  /** Partition → position of the last event on it. A partition not listed holds nothing. */
  readonly lastOnPartition: ReadonlyMap<number, GlobalPosition>;
  /**
   * Partitions that held messages and hold none now (retention, deleted records): what they
   * held is unknowable, so the export must not guess.
   */
  readonly emptied: readonly number[];
}

/**
 * The exporter sends batches one after another, each only once the one before was fully
 * acknowledged, and a partition takes a batch's messages for it all or none, in order. So
 * after a crash every event before the start of the newest batch that reached any partition
 * is on the topic, and of that batch (the only one that can be half-sent) an event is on
 * the topic exactly when its partition's last event is at or after it.
 */
export function alreadyPublished(edge: PublishedEdge, partition: number, position: GlobalPosition): boolean {
  const last = edge.lastOnPartition.get(partition);
  return last !== undefined && comparePositions(position, last) <= 0;
}

/**
 * Reads the last message of every partition of `topic` (with a consumer group of its own,
 * deleted afterwards) and derives the edge from their headers.
 */
export async function readPublishedEdge(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<PublishedEdge> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const wanted = new Map<number, string>();
    const emptied: number[] = [];
    for (const { partition, high, low } of offsets) {
      if (BigInt(high) > BigInt(low)) wanted.set(partition, (BigInt(high) - 1n).toString());
      else if (BigInt(high) > 0n) emptied.push(partition);
    }
    const lastOnPartition = new Map<number, GlobalPosition>();
    let resumeAfter: GlobalPosition | undefined;
    if (wanted.size === 0) return { resumeAfter, lastOnPartition, emptied };

    const groupId = `event-export-edge-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      const found = new Map<number, { position: GlobalPosition; batchAfter: string }>();
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${topic}: could not read the last message of every partition within ${timeoutMs} ms`)), timeoutMs);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              if (found.has(partition) || message.offset !== wanted.get(partition)) return;
              const position = message.headers?.[KafkaHeader.EventPosition]?.toString();
              const batchAfter = message.headers?.[KafkaHeader.BatchAfter]?.toString();
              // Rejected, not thrown: kafkajs would restart the consumer and lose the seeks.
              if (!position || !batchAfter) {
                reject(new Error(`${topic}/${partition}@${message.offset}: no ${KafkaHeader.EventPosition} or ${KafkaHeader.BatchAfter} header (was it written by the export?)`));
                return;
              }
              found.set(partition, { position: parsePosition(position), batchAfter });
              if (found.size === wanted.size) resolve();
            },
          })
          .catch(reject);
        for (const [partition, offset] of wanted) consumer.seek({ topic, partition, offset });
      }).finally(() => clearTimeout(timer));
      for (const [partition, { position, batchAfter }] of found) {
        lastOnPartition.set(partition, position);
        if (batchAfter === 'start') continue;
        const after = parsePosition(batchAfter);
        if (!resumeAfter || comparePositions(after, resumeAfter) > 0) resumeAfter = after;
      }
      return { resumeAfter, lastOnPartition, emptied };
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}
