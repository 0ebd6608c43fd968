import { endpointsInEnv } from './endpoints';
import { resolveInfrastructure } from './resolve-infrastructure';

// Mode 1 of the resolution order: addresses given in the environment are used as they are,
// after a probe, and nothing is started (so stop() has nothing to stop).
describe('resolveInfrastructure with URLs in the environment', () => {
  const given = endpointsInEnv();

  it('uses every given URL and starts nothing', async () => {
    const lines: string[] = [];
    const infrastructure = await resolveInfrastructure({
      profile: 'test',
      dependencies: ['kafka', 'postgres', 'mongodb', 'redis'],
      env: { ...process.env, CHAT_INFRA_MODE: 'env' },
      log: (line) => lines.push(line),
    });
    expect(infrastructure.sources).toMatchObject({ kafka: 'env', postgres: 'env', mongodb: 'env', redis: 'env' });
    expect(infrastructure.values).toMatchObject({
      kafka: given.kafka,
      postgres: given.postgres,
      mongodb: given.mongodb,
      redis: given.redis,
    });
    expect(infrastructure.localDataDir).toBeUndefined();
    expect(lines.some((l) => l.startsWith('kafka:') && l.includes('from KAFKA_BROKERS'))).toBe(true);
    await infrastructure.stop();
  });

  it('in env mode, names the variables that are missing', async () => {
    await expect(
      resolveInfrastructure({ profile: 'test', env: { CHAT_INFRA_MODE: 'env', KAFKA_BROKERS: given.kafka }, log: () => undefined }),
    ).rejects.toThrow('CHAT_INFRA_MODE=env but POSTGRES_URL, MONGODB_URL, REDIS_URL unset');
  });

  it('fails with the dependency named when a given URL does not answer', async () => {
    await expect(
      resolveInfrastructure({
        profile: 'test',
        dependencies: ['redis'],
        env: { CHAT_INFRA_MODE: 'env', REDIS_URL: 'redis://127.0.0.1:1' },
        log: () => undefined,
        givenUrlTimeoutMs: 1000,
      }),
    ).rejects.toThrow(/^redis at redis:\/\/127\.0\.0\.1:1 did not answer within 1000 ms/);
  });

  it('rejects an unknown mode', async () => {
    await expect(resolveInfrastructure({ profile: 'test', env: { CHAT_INFRA_MODE: 'docker' } })).rejects.toThrow(
      "CHAT_INFRA_MODE must be auto, env, containers or local (got 'docker')",
    );
  });
});
