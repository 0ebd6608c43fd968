import { type Dependency, type RunningInfrastructure, resolveInfrastructure } from '@chat/runtime';
import { ServiceProcess, type ServiceName } from '@chat/runtime/testing';
import { rmSync } from 'node:fs';
import { isolatedSystemEnv, waitUntilHealthy } from '../testing/chat-system';
import type { Cleanup } from './cleanup';

export interface ChatUnderTest {
  readonly infrastructure: RunningInfrastructure;
  readonly gatewayUrl: string;
  readonly projectionsHealthUrl: string;
  readonly services: ReadonlyMap<ServiceName, ServiceProcess>;
}

/**
 * The event store is PostgreSQL, as on a machine without Docker: with every dependency
 * asked for, a Docker engine would add EventStoreDB and the figures would be another system's.
 */
const dependencies: readonly Dependency[] = ['kafka', 'postgres', 'mongodb', 'redis'];

/**
 * Brings up the services on the servers (see {@link startBenchInfrastructure}) as `npm start`
 * runs them, each its own process from dist/ (npm run bench:gateway builds first), with a
 * read-model database, consumer groups and Redis keys of this run's own.
 */
export async function startChat(infrastructure: RunningInfrastructure, cleanup: Cleanup, log: (line: string) => void): Promise<ChatUnderTest> {
  const env = await serviceEnv(infrastructure, cleanup);
  const { services, gatewayUrl } = await startServices(env, cleanup, log);
  return { infrastructure, gatewayUrl, projectionsHealthUrl: env.PROJECTIONS_HEALTH_URL as string, services };
}

/**
 * The servers for a benchmark that starts the services itself: bench profile (own ports,
 * fresh data, durable settings), every dependency.
 */
export async function startBenchInfrastructure(cleanup: Cleanup, log: (line: string) => void): Promise<RunningInfrastructure> {
  const infrastructure = await resolveInfrastructure({ profile: 'bench', dependencies, log: (line) => log(`[infra] ${line}`) });
  cleanup.add('the servers', () => infrastructure.stop());
  return infrastructure;
}

/**
 * Starts every service (messaging, projections, presence, media, then the gateway on PORT)
 * with `env` and waits until the gateway is healthy. Each is stopped by `cleanup` at the end
 * at the latest; `stop` stops them all earlier.
 */
export async function startServices(
  env: NodeJS.ProcessEnv,
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<{ services: Map<ServiceName, ServiceProcess>; gatewayUrl: string; stop: () => Promise<void> }> {
  const services = new Map<ServiceName, ServiceProcess>();
  const start = async (name: ServiceName, extra: NodeJS.ProcessEnv = {}): Promise<void> => {
    const service = new ServiceProcess({ service: name, env: { ...env, ...extra }, startTimeoutMs: 90_000 });
    services.set(name, service);
    cleanup.add(name, () => stopService(service));
    await service.start();
    log(`${name} ready (pid ${service.pid})`);
  };
  await Promise.all([start('messaging'), start('projections'), start('presence'), start('media')]);
  const port = Number(env.PORT);
  await start('gateway', { PORT: String(port) });
  const gatewayUrl = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(gatewayUrl, 90_000);
  return { services, gatewayUrl, stop: async () => void (await Promise.all([...services.values()].map(stopService))) };
}

/**
 * The services' environment on this run's servers: a read-model database, groups, keys and an
 * upload folder of the run's own (removed by `cleanup`).
 */
export async function serviceEnv(infrastructure: RunningInfrastructure, cleanup: Cleanup): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...infrastructure.env(),
    ...(await isolatedSystemEnv(infrastructure.endpoints.mongoUrl, 'bench')),
    // Setting up hundreds of users and conversations is one caller's burst, not abuse.
    REST_REQUESTS_PER_SECOND: '1000000',
    REST_REQUESTS_BURST: '1000000',
    // Their output is only searched for warnings: colour codes would get in the way.
    NO_COLOR: '1',
    // The one system on this run's store: measured with the analysts' export running, as
    // deployed, unless EVENT_EXPORT=off asks what the export costs.
    EVENT_EXPORT: process.env.EVENT_EXPORT?.trim() === 'off' ? 'off' : 'on',
  };
  cleanup.add('the uploaded files', async () => rmSync(env.MEDIA_DIR as string, { recursive: true, force: true }));
  return env;
}

/** Each service's process by its name, for the CPU meter: every service started is metered. */
export function servicePids(services: ReadonlyMap<ServiceName, ServiceProcess>): Record<string, number[]> {
  return Object.fromEntries([...services].map(([name, service]) => [name, service.pid === undefined ? [] : [service.pid]]));
}

/** SIGTERM lets a service finish its batch; one that hangs is killed. */
async function stopService(service: ServiceProcess): Promise<void> {
  await stopGracefully((signal) => service.stop(signal), 10_000);
}

/** SIGTERM first; SIGKILL if the process is still there after `graceMs`. */
export async function stopGracefully(stop: (signal: NodeJS.Signals) => Promise<void>, graceMs: number): Promise<void> {
  const stopped = stop('SIGTERM');
  const late = await Promise.race([stopped.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref())]);
  if (late) await stop('SIGKILL');
}

/** How much of each service's output was printed so far (chunks), to look only at what follows. */
export type OutputMark = ReadonlyMap<ServiceName, number>;

export function outputMark(services: ReadonlyMap<ServiceName, ServiceProcess>): OutputMark {
  return new Map([...services].map(([name, service]) => [name, service.output.length]));
}

/**
 * Warnings and errors the services printed since `mark`, grouped by their wording with ids
 * and numbers blanked, most frequent first: a benchmark that "passed" while the gateway timed
 * commands out is not a pass. Start-up noise (a group coordinator not elected yet) is before the mark.
 */
export function serviceComplaints(
  services: ReadonlyMap<ServiceName, ServiceProcess>,
  mark: OutputMark,
): { service: ServiceName; line: string; count: number }[] {
  const counts = new Map<string, { service: ServiceName; line: string; count: number }>();
  for (const [service, process] of services) {
    for (const line of process.output.slice(mark.get(service) ?? 0).join('').split('\n')) {
      if (!/\b(WARN|ERROR|warn|error|failed|crashed|timed? ?out)\b/.test(line)) continue;
      const shape = line
        .replace(/^.*?\b(WARN|ERROR)\b/, '$1')
        .replace(/[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{24}/g, '<id>')
        .replace(/\d+/g, 'N')
        .trim()
        .slice(0, 200);
      const key = `${service}\u0000${shape}`;
      const entry = counts.get(key) ?? { service, line: shape, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
  }
  return [...counts.values()].sort((a, b) => b.count - a.count);
}

/** The projection worker's counters, from its /health. */
export interface ProjectionCounters {
  readonly appliedEvents: number;
  readonly batches: number;
  /** Events in the store it has not applied yet. */
  readonly lagEvents: number;
}

export async function projectionCounters(healthUrl: string): Promise<ProjectionCounters | undefined> {
  try {
    const body = (await (await fetch(healthUrl, { signal: AbortSignal.timeout(5_000) })).json()) as Partial<ProjectionCounters>;
    const { appliedEvents, batches, lagEvents } = body;
    return typeof appliedEvents === 'number' && typeof batches === 'number' && typeof lagEvents === 'number'
      ? { appliedEvents, batches, lagEvents }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits (up to `timeoutMs`) until the projection worker has applied every stored event, so a
 * phase does not start on the backlog of the one before; resolves with the events still
 * behind (0: caught up) and how long it waited.
 */
export async function projectionsCaughtUp(healthUrl: string, timeoutMs: number): Promise<{ behind: number; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const behind = (await projectionCounters(healthUrl))?.lagEvents ?? 0;
    const waitedMs = Date.now() - started;
    if (behind === 0 || waitedMs > timeoutMs) return { behind, waitedMs };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
