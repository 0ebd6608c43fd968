import { KafkaHeader } from '@chat/contracts';
import { comparePositions, type GlobalPosition, parsePosition } from '@chat/runtime';
import type { Kafka } from 'kafkajs';
import { readTopicRanges, topicRanges } from './topic-range';

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
 * Reads the last message of every partition of `topic` and derives the edge from their
 * headers.
 */
export async function readPublishedEdge(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<PublishedEdge> {
  const { ranges, emptied } = await topicRanges(kafka, topic);
  const lastOnPartition = new Map<number, GlobalPosition>();
  let resumeAfter: GlobalPosition | undefined;
  const lastMessages = new Map([...ranges].map(([partition, { to }]) => [partition, { from: to - 1n, to }]));
  await readTopicRanges(
    kafka,
    topic,
    lastMessages,
    (partition, message) => {
      const position = message.headers?.[KafkaHeader.EventPosition]?.toString();
      const batchAfter = message.headers?.[KafkaHeader.BatchAfter]?.toString();
      if (!position || !batchAfter) {
        throw new Error(`${topic}/${partition}@${message.offset}: no ${KafkaHeader.EventPosition} or ${KafkaHeader.BatchAfter} header (was it written by the export?)`);
      }
      lastOnPartition.set(partition, parsePosition(position));
      if (batchAfter === 'start') return;
      const after = parsePosition(batchAfter);
      if (!resumeAfter || comparePositions(after, resumeAfter) > 0) resumeAfter = after;
    },
    { timeoutMs, what: 'the last message of every partition' },
  );
  return { resumeAfter, lastOnPartition, emptied };
}
