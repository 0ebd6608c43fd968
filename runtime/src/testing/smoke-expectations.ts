import {
  eventStoreRoundTrip,
  kafkaRoundTrip,
  mongoRoundTrip,
  postgresRoundTrip,
  redisPubSub,
} from './smoke-checks';

/** The assertions every infrastructure path must pass, shared by the local and container suites. */
export const expectKafkaWorks = async (brokers: string): Promise<void> => {
  const result = await kafkaRoundTrip(brokers);
  expect(result.topicListed).toBe(true);
  expect(result.partitions).toBe(3);
  expect(result.received).toEqual({ key: 'conversation-1', value: '{"hello":"kafka"}', header: 'yes' });
};

export const expectMongoWorks = async (url: string): Promise<void> => {
  const result = await mongoRoundTrip(url);
  expect(result.found).toEqual({ name: 'alice', n: 1 });
  expect(result.indexNames).toEqual(expect.arrayContaining(['_id_', 'name_unique']));
  expect(result.duplicateRejected).toBe(true);
};

export const expectPostgresWorks = async (url: string): Promise<void> => {
  const result = await postgresRoundTrip(url);
  expect(result.rows).toEqual([
    { id: 1, body: 'one' },
    { id: 2, body: 'two' },
  ]);
  expect(result.database).toBe('chat');
};

export const expectRedisWorks = async (url: string): Promise<void> => {
  const result = await redisPubSub(url);
  expect(result.channel).toMatch(/^smoke:/);
  expect(result.message).toBe('hello redis');
};

export const expectEventStoreWorks = async (url: string): Promise<void> => {
  const result = await eventStoreRoundTrip(url);
  expect(result.types).toEqual(['SmokeTested', 'SmokeTested']);
  expect(result.revisions).toEqual([0n, 1n]);
};
