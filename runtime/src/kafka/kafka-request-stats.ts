import type { Consumer, Kafka, Producer } from 'kafkajs';

/**
 * KAFKA_REQUEST_STATS=<seconds>: log, every so many seconds, the requests this service's
 * Kafka clients sent (API, client kind) with their count, records' bytes and mean time: how to
 * find out what a message costs the broker, which pays per request far more than per record.
 * Off by default.
 */
export function reportKafkaRequestStats(kafka: Kafka, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Kafka {
  const everySeconds = Number(env.KAFKA_REQUEST_STATS?.trim() || 0);
  if (!(everySeconds > 0)) return kafka;
  const counts = new Map<string, { count: number; bytes: number; ms: number }>();
  const count = (kind: string) => (event: { payload: { apiName: string; size: number; duration: number } }) => {
    const key = `${event.payload.apiName} (${kind})`;
    const entry = counts.get(key) ?? { count: 0, bytes: 0, ms: 0 };
    entry.count += 1;
    entry.bytes += event.payload.size;
    entry.ms += event.payload.duration;
    counts.set(key, entry);
  };
  setInterval(() => {
    if (counts.size === 0) return;
    const lines = [...counts].sort((a, b) => b[1].count - a[1].count);
    counts.clear();
    log(`kafka requests, last ${everySeconds} s (count, bytes, mean ms):`);
    for (const [key, { count, bytes, ms }] of lines) log(`  ${count}\t${bytes}\t${(ms / count).toFixed(2)}\t${key}`);
  }, everySeconds * 1000).unref();
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  kafka.producer = (...args: Parameters<Kafka['producer']>): Producer => {
    const made = producer(...args);
    made.on(made.events.REQUEST, count('producer'));
    return made;
  };
  kafka.consumer = (...args: Parameters<Kafka['consumer']>): Consumer => {
    const made = consumer(...args);
    made.on(made.events.REQUEST, count('consumer'));
    return made;
  };
  return kafka;
}
