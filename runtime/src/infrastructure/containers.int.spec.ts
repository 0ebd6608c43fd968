import { type StartedContainers, startContainers } from './containers';
import { dependencies } from './endpoints';
import { dockerStatusFromEnv } from './docker';
import {
  expectEventStoreWorks,
  expectKafkaWorks,
  expectMongoWorks,
  expectPostgresWorks,
  expectRedisWorks,
} from '../testing/smoke-expectations';

// The Docker path of the infrastructure: starts every server with Testcontainers and runs
// the same smoke checks on them. Where no Docker engine answers, the suite is reported as
// skipped, with the reason in its name.
const docker = dockerStatusFromEnv() ?? { available: false, reason: 'the global setup did not report Docker status' };
const suite = docker.available ? describe : describe.skip;

suite(`Testcontainers path${docker.available ? '' : ` (skipped: ${docker.reason})`}`, () => {
  let containers: StartedContainers;

  beforeAll(async () => {
    containers = await startContainers(dependencies, (line) => console.log(`[containers] ${line}`));
  }, 600_000);

  afterAll(async () => {
    await containers?.stop();
  }, 120_000);

  const value = (dependency: (typeof dependencies)[number]): string => {
    const address = containers.values[dependency];
    if (!address) throw new Error(`no address for ${dependency}`);
    return address;
  };

  it('Kafka (Confluent 7.9 = Apache Kafka 3.9, KRaft)', async () => {
    await expectKafkaWorks(value('kafka'));
  });
  it('MongoDB', async () => {
    await expectMongoWorks(value('mongodb'));
  });
  it('PostgreSQL', async () => {
    await expectPostgresWorks(value('postgres'));
  });
  it('Redis', async () => {
    await expectRedisWorks(value('redis'));
  });
  it('KurrentDB (EventStoreDB)', async () => {
    await expectEventStoreWorks(value('eventstore'));
  });
});
