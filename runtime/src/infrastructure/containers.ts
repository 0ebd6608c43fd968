import { KafkaContainer } from '@testcontainers/kafka';
import { MongoDBContainer } from '@testcontainers/mongodb';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import type { Dependency, EndpointValues } from './endpoints';

/**
 * Images of the Docker path, pinned. Confluent Platform 7.9 carries Apache Kafka 3.9, the
 * line kafkajs speaks (Kafka 4 removed older protocol versions); the Testcontainers Kafka
 * module only drives Confluent's images.
 */
export const containerImages = {
  kafka: 'confluentinc/cp-kafka:7.9.1',
  postgres: 'postgres:17-alpine',
  mongodb: 'mongo:7.0',
  redis: 'redis:7.4-alpine',
  eventstore: 'kurrentplatform/kurrentdb:25.1',
} as const satisfies Record<Dependency, string>;

export interface StartedContainers {
  readonly values: EndpointValues;
  stop(): Promise<void>;
}

type Starter = () => Promise<{ address: string; container: StartedTestContainer }>;

const starters: Record<Dependency, Starter> = {
  async kafka() {
    const container = await new KafkaContainer(containerImages.kafka)
      .withKraft()
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
      .start();
    return { address: `${container.getHost()}:${container.getMappedPort(9093)}`, container };
  },
  async postgres() {
    const container = await new PostgreSqlContainer(containerImages.postgres).withDatabase('chat').start();
    return { address: container.getConnectionUri(), container };
  },
  async mongodb() {
    const container = await new MongoDBContainer(containerImages.mongodb).start();
    return {
      address: `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/chat?directConnection=true`,
      container,
    };
  },
  async redis() {
    const container = await new RedisContainer(containerImages.redis).start();
    return { address: container.getConnectionUrl(), container };
  },
  async eventstore() {
    const container = await new GenericContainer(containerImages.eventstore)
      .withEnvironment({
        KURRENTDB_INSECURE: 'true',
        KURRENTDB_RUN_PROJECTIONS: 'None',
        KURRENTDB_MEM_DB: 'true',
        KURRENTDB_ENABLE_ATOM_PUB_OVER_HTTP: 'false',
      })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .start();
    return {
      address: `kurrentdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
      container,
    };
  },
};

/**
 * Starts the named servers in containers, side by side. If one fails, the ones that did
 * start are stopped again before the error is thrown, so nothing is left running.
 */
export async function startContainers(wanted: readonly Dependency[], log: (line: string) => void): Promise<StartedContainers> {
  const results = await Promise.allSettled(
    wanted.map(async (dependency) => {
      log(`starting ${dependency} container (${containerImages[dependency]})`);
      const started = await starters[dependency]();
      return { dependency, ...started };
    }),
  );
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.container.stop()));
  };
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`${wanted[i]}: ${String(r.reason)}`] : []));
  if (failures.length > 0) {
    await stop();
    throw new Error(`Testcontainers could not start ${failures.join('; ')}`);
  }
  const values: EndpointValues = {};
  for (const s of started) values[s.dependency] = s.address;
  return { values, stop };
}
