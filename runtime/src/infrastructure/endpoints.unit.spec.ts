import { endpointsInEnv, endpointsToEnv, parseBrokers, toEndpoints } from './endpoints';

describe('endpoints from the environment', () => {
  it('reads each set variable, treating blank as unset', () => {
    expect(
      endpointsInEnv({ KAFKA_BROKERS: 'a:9092', POSTGRES_URL: '  ', MONGODB_URL: 'mongodb://m/chat', REDIS_URL: undefined }),
    ).toEqual({ kafka: 'a:9092', mongodb: 'mongodb://m/chat' });
  });

  it('round-trips through environment variables', () => {
    const values = { kafka: 'a:1,b:2', postgres: 'postgres://p/chat', mongodb: 'mongodb://m', redis: 'redis://r' };
    expect(endpointsInEnv(endpointsToEnv(values))).toEqual(values);
  });

  it('builds typed endpoints, splitting brokers', () => {
    expect(
      toEndpoints({ kafka: 'a:1, b:2', postgres: 'postgres://p', mongodb: 'mongodb://m', redis: 'redis://r' }),
    ).toEqual({ kafkaBrokers: ['a:1', 'b:2'], postgresUrl: 'postgres://p', mongoUrl: 'mongodb://m', redisUrl: 'redis://r' });
  });

  it('names the variables of missing required dependencies', () => {
    expect(() => toEndpoints({ kafka: 'a:1' })).toThrow('No address for postgres, mongodb, redis: set POSTGRES_URL, MONGODB_URL, REDIS_URL');
  });

  it.each(['', 'localhost', 'kafka://a:9092', 'a:b', ' , '])('rejects broker list %p', (value) => {
    expect(() => parseBrokers(value)).toThrow(/KAFKA_BROKERS/);
  });
});
