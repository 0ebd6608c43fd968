import { type TopicName, Topic } from '@chat/contracts';
import { type Admin, ConfigResourceTypes, type ConsumerConfig, Kafka, type KafkaConfig, logLevel, Partitioners, type ProducerConfig } from 'kafkajs';
import { fixKafkajsIdleLoop } from './kafkajs-idle-fix';
import { reportKafkaRequestStats } from './kafka-request-stats';

/**
 * Kafka wiring shared by every service: one way to build clients, the topics with their
 * partition counts, and consumer/producer settings tuned for chat latency.
 */

// Before any client is made: kafkajs's request queues spin while idle (kafkajs-idle-fix.ts).
fixKafkajsIdleLoop();

export function createKafka(options: { brokers: readonly string[]; clientId: string; level?: logLevel }): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: options.level ?? logLevel.WARN,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  };
  return reportKafkaRequestStats(new Kafka(config), (line) => console.log(`[${options.clientId}] ${line}`));
}

/**
 * Partition counts: enough for commands of many conversations to be decided in parallel
 * across messaging instances, few enough that a 2-core machine does not spend its time on
 * fetch bookkeeping. One partition for the dead letters: they are rare and read by people.
 */
export const topicPartitions: Record<TopicName, number> = {
  [Topic.Commands]: 8,
  [Topic.CommandResults]: 4,
  [Topic.Notifications]: 8,
  [Topic.Events]: 8,
  [Topic.Presence]: 8,
  [Topic.CommandsDlq]: 1,
};

/**
 * Settings beyond the broker's defaults. The analysts' stream is the whole history, kept
 * forever (the broker's default keeps a week): the export also reads its end to know where
 * it stopped, and an emptied partition would leave it unable to tell.
 */
const topicConfig: Partial<Record<TopicName, { name: string; value: string }[]>> = {
  [Topic.Events]: [{ name: 'retention.ms', value: '-1' }],
};

/**
 * Creates the topics that are missing (never relying on broker auto-creation). Services start
 * side by side and race to create the same topics on a fresh broker; a loser sees transient
 * errors (the topic exists but has no leader yet, or is not in the metadata yet), so the
 * whole check is retried until every topic is listed.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicName[] = Object.values(Topic), timeoutMs = 30_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((topic) => !existing.has(topic));
        if (missing.length === 0) {
          await applyTopicConfig(admin, topics);
          return;
        }
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: topicPartitions[topic],
            replicationFactor: -1,
            ...(topicConfig[topic] ? { configEntries: topicConfig[topic] } : {}),
          })),
        });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1_000)));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Brings the settings of topicConfig to topics that exist without them (created by an older build). */
async function applyTopicConfig(admin: Admin, topics: readonly TopicName[]): Promise<void> {
  const configured = topics.filter((topic) => topicConfig[topic]);
  if (configured.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: configured.map((topic) => ({ type: ConfigResourceTypes.TOPIC, name: topic, configNames: (topicConfig[topic] ?? []).map((c) => c.name) })),
  });
  for (const resource of described.resources) {
    const wanted = topicConfig[resource.resourceName as TopicName] ?? [];
    const differs = wanted.some(({ name, value }) => resource.configEntries.find((entry) => entry.configName === name)?.configValue !== value);
    if (differs) await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: resource.resourceName, configEntries: wanted }] });
  }
}

/**
 * A fetch is a long poll: with `minBytes: 1` the broker answers as soon as a record arrives,
 * so the wait bounds only how often an idle consumer asks again and costs no latency. Every
 * request an idle consumer makes costs the broker more than it costs the consumer, so at rest
 * fetches and heartbeats are few: a fetch every 2 s and a heartbeat at most every 3 s (kafkajs
 * sends it between fetches). new:message at 200 msg/s measured the same with these settings
 * as with 500 ms and 1 s, two runs of each alternating (docs/benchmarks.md, "Idle"). The price
 * is paid at a stop, which waits for the fetch in flight (at most the wait), and by a member
 * joining a group, which the others hear of at their next heartbeat.
 */
export function latencyConsumerConfig(groupId: string): ConsumerConfig {
  return {
    groupId,
    maxWaitTimeInMs: 2_000,
    minBytes: 1,
    sessionTimeout: 10_000,
    rebalanceTimeout: 15_000,
    heartbeatInterval: 3_000,
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 100, retries: 10, maxRetryTime: 5000 },
  };
}

export function reliableProducerConfig(): ProducerConfig {
  return {
    allowAutoTopicCreation: false,
    // Murmur2 on the key, as Java clients do: a key lands on the same partition whoever produces it.
    createPartitioner: Partitioners.DefaultPartitioner,
    // One in-flight request keeps each partition's messages in order across retries.
    maxInFlightRequests: 1,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  };
}
