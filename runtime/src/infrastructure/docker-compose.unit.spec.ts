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

// What can be checked of the Docker stack without a Docker engine: the things a person with
// Docker would otherwise meet as a failed start.
describe('the Docker stack as a person with Docker meets it', () => {
  const root = repoRoot();
  const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const dockerfile = readFileSync(join(root, 'deploy/docker/Dockerfile'), 'utf8');
  const volumes = (name: string): { volume: string; path: string }[] =>
    ((services[name] as ComposeService & { volumes?: string[] }).volumes ?? []).map((entry) => {
      const [volume = '', path = ''] = entry.split(':');
      return { volume, path };
    });

  it("the README's Docker instructions name every variable compose requires", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const paragraph = readme.split(/\n\s*\n/).find((text) => text.includes('docker compose up --build')) ?? '';
    const required = [...composeText.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1] ?? '');
    expect(required.length).toBeGreaterThan(0);
    for (const variable of new Set(required)) expect({ variable, named: paragraph.includes(`\`${variable}\``) }).toEqual({ variable, named: true });
  });

  it.each(applicationServices)("%s's volumes are mounted where the image created them for its user", (name) => {
    for (const { path } of volumes(name)) {
      expect(dockerfile).toMatch(new RegExp(`mkdir -p [^\\n]*${path}`));
      expect(dockerfile).toMatch(new RegExp(`chown node:node [^\\n]*${path}`));
      // Created before the image switches to that user, in the stage that runs.
      const runStage = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
      expect(runStage.indexOf(path)).toBeLessThan(runStage.indexOf('USER node'));
    }
  });

  it('every service that keeps data keeps it on a volume, where the server writes it', () => {
    const dataDirectories: Record<string, string> = {
      kafka: services.kafka?.environment?.KAFKA_LOG_DIRS ?? 'KAFKA_LOG_DIRS unset: the image writes under /tmp',
      eventstore: '/var/lib/kurrentdb',
      postgres: '/var/lib/postgresql/data',
      mongodb: '/data/db',
      media: services.media?.environment?.MEDIA_DIR ?? 'MEDIA_DIR unset',
    };
    const declared = Object.keys((parse(composeText) as { volumes: Record<string, unknown> }).volumes);
    for (const [name, directory] of Object.entries(dataDirectories)) {
      const mounted = volumes(name).find(({ path }) => path === directory);
      expect({ name, mounted: mounted?.path }).toEqual({ name, mounted: directory });
      expect(declared).toContain(mounted?.volume);
    }
  });

  it('the build context leaves out local installs, builds and server data', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', '**/node_modules', '**/dist', '.data']));
  });
});
