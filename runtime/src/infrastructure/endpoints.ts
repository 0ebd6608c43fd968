/**
 * Where the servers the services depend on are. Every service reads these from its
 * environment and nothing else, so it does not know (or care) which of the three ways
 * started them: URLs given by the operator, Testcontainers, or local processes.
 */
export interface Endpoints {
  /** host:port pairs of the Kafka bootstrap brokers. */
  readonly kafkaBrokers: readonly string[];
  /** PostgreSQL connection URL (event store, and FerretDB's backend where it uses one). */
  readonly postgresUrl: string;
  /** MongoDB connection URL (read models); FerretDB locally. */
  readonly mongoUrl: string;
  /** Redis URL (presence, Socket.IO adapter). */
  readonly redisUrl: string;
  /** EventStoreDB / KurrentDB connection string, where one is available. */
  readonly eventStoreUrl?: string;
}

export const dependencies = ['kafka', 'postgres', 'mongodb', 'redis', 'eventstore'] as const;
export type Dependency = (typeof dependencies)[number];

/** The environment variable that carries each dependency's address. */
export const endpointEnv = {
  kafka: 'KAFKA_BROKERS',
  postgres: 'POSTGRES_URL',
  mongodb: 'MONGODB_URL',
  redis: 'REDIS_URL',
  eventstore: 'EVENTSTORE_URL',
} as const satisfies Record<Dependency, string>;

export type EndpointValues = Partial<Record<Dependency, string>>;

/** Reads whichever endpoint variables are set; blank counts as unset. */
export function endpointsInEnv(env: NodeJS.ProcessEnv = process.env): EndpointValues {
  const found: EndpointValues = {};
  for (const dependency of dependencies) {
    const value = env[endpointEnv[dependency]]?.trim();
    if (value) found[dependency] = value;
  }
  return found;
}

/** Endpoint values as environment variables, for child processes and jest workers. */
export function endpointsToEnv(values: EndpointValues): Record<string, string> {
  const env: Record<string, string> = {};
  for (const dependency of dependencies) {
    const value = values[dependency];
    if (value !== undefined) env[endpointEnv[dependency]] = value;
  }
  return env;
}

/** Builds the typed endpoints once every required dependency has an address. */
export function toEndpoints(values: EndpointValues): Endpoints {
  const missing = (['kafka', 'postgres', 'mongodb', 'redis'] as const).filter((d) => values[d] === undefined);
  if (missing.length > 0) {
    throw new Error(`No address for ${missing.join(', ')}: set ${missing.map((d) => endpointEnv[d]).join(', ')}`);
  }
  return {
    kafkaBrokers: parseBrokers(values.kafka as string),
    postgresUrl: values.postgres as string,
    mongoUrl: values.mongodb as string,
    redisUrl: values.redis as string,
    ...(values.eventstore === undefined ? {} : { eventStoreUrl: values.eventstore }),
  };
}

export function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  for (const broker of brokers) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(broker)) {
      throw new Error(`${endpointEnv.kafka}: '${broker}' is not host:port`);
    }
  }
  if (brokers.length === 0) throw new Error(`${endpointEnv.kafka} names no broker`);
  return brokers;
}
