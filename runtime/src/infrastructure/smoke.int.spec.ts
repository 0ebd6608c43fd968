import { dockerStatusFromEnv } from './docker';
import { endpointEnv, endpointsInEnv } from './endpoints';
import { infrastructureSourcesEnv } from '../testing/global-setup';
import {
  expectEventStoreWorks,
  expectKafkaWorks,
  expectMongoWorks,
  expectPostgresWorks,
  expectRedisWorks,
} from '../testing/smoke-expectations';

// Talks to whatever the run's global setup resolved: URLs from the environment, containers,
// or the local processes deploy/local installed and started.
const endpoints = endpointsInEnv();
const sources = JSON.parse(process.env[infrastructureSourcesEnv] ?? '{}') as Record<string, string>;

function address(dependency: keyof typeof endpointEnv): string {
  const value = endpoints[dependency];
  if (!value) throw new Error(`${endpointEnv[dependency]} was not set by the global setup`);
  return value;
}

describe('infrastructure smoke test through the official clients', () => {
  it('resolved every required server, and used local processes only where nothing else was given', () => {
    for (const dependency of ['kafka', 'postgres', 'mongodb', 'redis']) {
      expect(['env', 'containers', 'local']).toContain(sources[dependency]);
    }
    if (dockerStatusFromEnv()?.available === false) {
      for (const dependency of ['kafka', 'postgres', 'mongodb', 'redis']) {
        expect(['env', 'local']).toContain(sources[dependency]);
      }
    }
  });

  it('Kafka: creates a topic explicitly, produces and consumes a keyed message with headers', async () => {
    await expectKafkaWorks(address('kafka'));
  });

  it('MongoDB protocol: writes and reads a document through a unique index', async () => {
    await expectMongoWorks(address('mongodb'));
  });

  it('PostgreSQL: a parameterised round trip in the chat database', async () => {
    await expectPostgresWorks(address('postgres'));
  });

  it('Redis: publish and subscribe', async () => {
    await expectRedisWorks(address('redis'));
  });

  const eventStore = endpoints.eventstore;
  (eventStore ? it : it.skip)(
    `EventStoreDB: appends and reads a stream${eventStore ? '' : ' (skipped: no EVENTSTORE_URL and no Docker engine)'}`,
    async () => {
      await expectEventStoreWorks(eventStore as string);
    },
  );
});
