import { startContainers } from './containers';
import { type DockerStatus, detectDocker } from './docker';
import {
  type Dependency,
  type EndpointValues,
  type Endpoints,
  endpointEnv,
  endpointsInEnv,
  endpointsToEnv,
  toEndpoints,
} from './endpoints';
import { type LocalDependency, type LocalProfile, startLocalServers } from './local/local-servers';
import { redact, waitUntilReady } from './readiness';

export type Source = 'env' | 'containers' | 'local' | 'absent';

/** `auto` follows the documented order; the others force one way (and fail if it cannot). */
export type InfrastructureMode = 'auto' | 'env' | 'containers' | 'local';
export const infrastructureModeEnv = 'CHAT_INFRA_MODE';

export interface InfrastructureOptions {
  readonly profile: LocalProfile;
  readonly log?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Defaults to every dependency; EventStoreDB is optional (absent in local mode). */
  readonly dependencies?: readonly Dependency[];
  /** How long a given URL may take to answer its probe (30 s by default). */
  readonly givenUrlTimeoutMs?: number;
}

export interface RunningInfrastructure {
  /** Every service's endpoints; throws when a dependency services need was not asked for (use `values`). */
  readonly endpoints: Endpoints;
  readonly values: EndpointValues;
  readonly sources: Readonly<Record<Dependency, Source>>;
  readonly docker: DockerStatus | undefined;
  /** Where the local servers keep data and logs, when any run locally. */
  readonly localDataDir: string | undefined;
  /** The endpoint variables to hand to services and test workers. */
  env(): Record<string, string>;
  /** Stops whatever this call started (nothing, for URLs from the environment). */
  stop(): Promise<void>;
}

const required: readonly Dependency[] = ['kafka', 'postgres', 'mongodb', 'redis'];

/**
 * Finds or starts every dependency, each one independently, in this order:
 *   1. a URL in the environment (KAFKA_BROKERS, POSTGRES_URL, MONGODB_URL, REDIS_URL, EVENTSTORE_URL);
 *   2. otherwise a container, when a Docker engine answers (Testcontainers);
 *   3. otherwise a local process on loopback (deploy/local), EventStoreDB excepted: it has no
 *      local install from the registries we reach, so it is simply absent there and the
 *      PostgreSQL event store serves.
 * Every address is probed with its official client before this returns.
 */
export async function resolveInfrastructure(options: InfrastructureOptions): Promise<RunningInfrastructure> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(`[infra] ${line}`));
  const wanted = options.dependencies ?? [...required, 'eventstore'];
  const mode = parseMode(env[infrastructureModeEnv]);

  const given = endpointsInEnv(env);
  const sources = { kafka: 'absent', postgres: 'absent', mongodb: 'absent', redis: 'absent', eventstore: 'absent' } as Record<
    Dependency,
    Source
  >;
  const values: EndpointValues = {};
  for (const dependency of wanted) {
    const value = given[dependency];
    if (value !== undefined) {
      values[dependency] = value;
      sources[dependency] = 'env';
    }
  }
  const missing = wanted.filter((d) => values[d] === undefined);
  if (mode === 'env') {
    const missingRequired = missing.filter((d) => required.includes(d));
    if (missingRequired.length > 0) {
      throw new Error(`${infrastructureModeEnv}=env but ${missingRequired.map((d) => endpointEnv[d]).join(', ')} unset`);
    }
  }

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  };

  let docker: DockerStatus | undefined;
  let localDataDir: string | undefined;
  try {
    await Promise.all(
      (Object.keys(values) as Dependency[]).map((d) => waitUntilReady(d, values[d] as string, { timeoutMs: options.givenUrlTimeoutMs ?? 30_000 })),
    );
    for (const d of Object.keys(values) as Dependency[]) log(`${d}: ${redact(values[d] as string)} (from ${endpointEnv[d]})`);

    let rest = mode === 'env' ? [] : missing;
    if (rest.length > 0 && mode !== 'local') {
      docker = await detectDocker();
      log(docker.available ? `Docker: ${docker.reason}` : `Docker: ${docker.reason}; using local processes`);
      if (mode === 'containers' && !docker.available) throw new Error(`${infrastructureModeEnv}=containers: ${docker.reason}`);
      if (docker.available) {
        const started = await startContainers(rest, log);
        stops.push(started.stop);
        for (const d of rest) {
          values[d] = started.values[d];
          sources[d] = 'containers';
        }
        await Promise.all(rest.map((d) => waitUntilReady(d, values[d] as string, { timeoutMs: 60_000 })));
        rest = [];
      }
    }
    const local = rest.filter((d): d is LocalDependency => d !== 'eventstore');
    if (local.length > 0) {
      const started = await startLocalServers({ profile: options.profile, dependencies: local, log, env });
      stops.push(started.stop);
      localDataDir = started.dataDir;
      for (const d of local) {
        values[d] = started.values[d];
        sources[d] = 'local';
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    get endpoints() {
      return toEndpoints(values);
    },
    values,
    sources,
    docker,
    localDataDir,
    env: () => endpointsToEnv(values),
    stop: stopAll,
  };
}

function parseMode(raw: string | undefined): InfrastructureMode {
  const value = (raw ?? 'auto').trim() || 'auto';
  if (value === 'auto' || value === 'env' || value === 'containers' || value === 'local') return value;
  throw new Error(`${infrastructureModeEnv} must be auto, env, containers or local (got '${value}')`);
}
