import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { endpointEnv } from './endpoints';
import { repoRoot } from './local/repo-root';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: { test: string[] | string };
}

// The Docker stack is the design's deployable shape: this keeps the file parseable and
// naming every service and server of ../shared/ARCHITECTURE.md.
const compose = parse(readFileSync(join(repoRoot(), 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const applicationServices = ['gateway', 'messaging', 'presence', 'media', 'projections'];
const infrastructure = ['kafka', 'eventstore', 'postgres', 'mongodb', 'redis'];

describe('docker-compose.yml', () => {
  it('names every service and server of the design', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining([...applicationServices, ...infrastructure]));
  });

  it.each(applicationServices)('%s is built from its own workspace folder with the shared Dockerfile', (name) => {
    const service = services[name] as ComposeService;
    expect(service.build?.args?.SERVICE).toBe(name);
    expect(existsSync(join(repoRoot(), service.build?.dockerfile ?? 'missing'))).toBe(true);
    expect(existsSync(join(repoRoot(), 'services', name))).toBe(true);
  });

  it.each(applicationServices)('%s gets every dependency address through the documented variables', (name) => {
    const env = services[name]?.environment ?? {};
    for (const variable of Object.values(endpointEnv)) expect(env[variable]).toEqual(expect.any(String));
    expect(env.KAFKA_BROKERS).toBe('kafka:9092');
  });

  it.each(applicationServices)('%s waits for healthy infrastructure that exists in the file', (name) => {
    const dependsOn = services[name]?.depends_on ?? {};
    expect(Object.keys(dependsOn).sort()).toEqual([...infrastructure].sort());
    for (const [dependency, { condition }] of Object.entries(dependsOn)) {
      expect(services[dependency]?.healthcheck).toBeDefined();
      expect(condition).toBe('service_healthy');
    }
  });

  it('publishes the gateway on port 3100, and Kafka is the 3.9 line with auto-created topics off', () => {
    expect(services.gateway?.ports).toContain('3100:3100');
    expect(services.kafka?.image).toMatch(/^apache\/kafka:3\.9\./);
    expect(services.kafka?.environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });
});
