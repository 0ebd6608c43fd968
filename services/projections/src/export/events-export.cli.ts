import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseEvent, publishedEventSchema, Topic } from '@chat/contracts';
import { createKafka, endpointEnv, endpointsInEnv } from '@chat/runtime';

/**
 * Exports the analysts' topic as it is now to NDJSON (one PublishedEvent per line), for
 * loading into a warehouse or a notebook, then exits.
 *
 *   npm run -s events:export -- [--out events.ndjson] [--topic chat.events.v1] [--upcast]
 *
 * Lines come partition by partition as Kafka hands them over: each stream's events in order,
 * streams interleaved. `--upcast` rewrites each event's data to its type's current version
 * (as parseEvent reads it), so a consumer sees one shape per type; an event that does not
 * read as its type (written by an older build, say) is written as stored, and counted.
 * Reads KAFKA_BROKERS.
 */

const usage = 'usage: events:export [--out FILE] [--topic TOPIC] [--upcast]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, topic: { type: 'string' }, upcast: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const brokers = endpointsInEnv().kafka;
  if (!brokers) throw new Error(`${endpointEnv.kafka} is not set`);
  const topic = values.topic ?? Topic.Events;
  const kafka = createKafka({ brokers: brokers.split(',').map((b) => b.trim()), clientId: 'events-export' });

  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) if (BigInt(high) > BigInt(low)) ends.set(partition, BigInt(high));
  } finally {
    await admin.disconnect();
  }

  const out: WriteStream | NodeJS.WriteStream = values.out ? createWriteStream(values.out) : process.stdout;
  let lines = 0;
  let notUpcast = 0;
  /** Partition → the next offset to write. */
  const next = new Map<number, bigint>();
  if (ends.size > 0) {
    const groupId = `events-export-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = ends.get(partition);
              const offset = BigInt(message.offset);
              // Redelivered after a rebalance (offsets are not committed): written already.
              if (end === undefined || offset >= end || offset < (next.get(partition) ?? 0n)) return;
              next.set(partition, offset + 1n);
              // A failure ends the export (thrown, kafkajs would retry the message forever).
              try {
                const parsed = publishedEventSchema.safeParse(JSON.parse(message.value?.toString() ?? 'null'));
                if (!parsed.success) throw new Error(`${topic}/${partition}@${message.offset} is not a PublishedEvent`);
                let event = parsed.data;
                if (values.upcast) {
                  const current = parseEvent(event.type, event.version, event.data);
                  // Kept as stored (and counted): an export leaves nothing out.
                  if (current.success) event = { ...event, version: current.data.version, data: current.data.data };
                  else notUpcast += 1;
                }
                if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
                lines += 1;
                if (BigInt(message.offset) + 1n >= end) ends.delete(partition);
                if (ends.size === 0) resolve();
              } catch (error) {
                reject(error instanceof Error ? error : new Error(String(error)));
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      const cleanup = kafka.admin();
      await cleanup.connect();
      await cleanup.deleteGroups([groupId]).catch(() => undefined);
      await cleanup.disconnect();
    }
  }
  if (values.out) {
    await new Promise<void>((resolve, reject) => (out as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  console.error(`[events:export] ${lines} events from ${topic}${values.out ? ` to ${values.out}` : ''}`);
  if (notUpcast > 0) console.error(`[events:export] ${notUpcast} events did not read as any version of their type and are written as stored`);
}

main().catch((err: unknown) => {
  console.error(`[events:export] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
