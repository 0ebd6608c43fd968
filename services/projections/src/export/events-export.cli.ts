import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseEvent, publishedEventSchema, Topic } from '@chat/contracts';
import { createKafka, endpointEnv, endpointsInEnv, parseBrokers } from '@chat/runtime';
import { readTopicRanges, topicRanges } from './topic-range';

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
  const kafka = createKafka({ brokers: parseBrokers(brokers), clientId: 'events-export' });

  const { ranges } = await topicRanges(kafka, topic);
  const out: WriteStream | NodeJS.WriteStream = values.out ? createWriteStream(values.out) : process.stdout;
  let lines = 0;
  let notUpcast = 0;
  await readTopicRanges(kafka, topic, ranges, async (partition, message) => {
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
  });
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
