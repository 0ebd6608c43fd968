import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import type { EndpointValues } from '../endpoints';
import { waitUntilReady } from '../readiness';
import { choosePort } from './ports';
import { repoRoot } from './repo-root';

/**
 * The third way to get infrastructure: real servers as local processes on loopback,
 * installed by deploy/local/install.sh from the package registries and kept alive by
 * deploy/local/supervisor.cjs, which stops them all when the process that asked for them
 * ends, however it ends.
 */

export type LocalDependency = 'kafka' | 'postgres' | 'mongodb' | 'redis';
export const localDependencies: readonly LocalDependency[] = ['kafka', 'postgres', 'mongodb', 'redis'];

/**
 * `test`:  a fresh data folder per run (.data/test-<pid>), deleted at the end, fsync off.
 * `bench`: a fresh data folder per run (.data/bench-<pid>), deleted at the end, durable
 *          settings, so benchmark figures are what a real deployment would see.
 * `dev`:   one persistent data folder (.data/dev) for `npm start`, durable settings.
 */
export type LocalProfile = 'test' | 'bench' | 'dev';

const isEphemeral = (profile: LocalProfile): boolean => profile !== 'dev';

type PortName = 'kafka' | 'kafkaController' | 'postgres' | 'mongodb' | 'redis';

const defaultPorts: Record<LocalProfile, Record<PortName, number>> = {
  dev: { kafka: 9092, kafkaController: 9093, postgres: 5432, mongodb: 27017, redis: 6379 },
  test: { kafka: 19092, kafkaController: 19093, postgres: 15432, mongodb: 37017, redis: 16379 },
  bench: { kafka: 29092, kafkaController: 29093, postgres: 25432, mongodb: 47017, redis: 26379 },
};

export const localPortEnv = {
  kafka: 'LOCAL_KAFKA_PORT',
  kafkaController: 'LOCAL_KAFKA_CONTROLLER_PORT',
  postgres: 'LOCAL_POSTGRES_PORT',
  mongodb: 'LOCAL_MONGODB_PORT',
  redis: 'LOCAL_REDIS_PORT',
} as const satisfies Record<PortName, string>;

const portsNeeded: Record<LocalDependency, readonly PortName[]> = {
  kafka: ['kafka', 'kafkaController'],
  postgres: ['postgres'],
  mongodb: ['mongodb'],
  redis: ['redis'],
};

export interface LocalServersOptions {
  readonly profile: LocalProfile;
  readonly dependencies: readonly LocalDependency[];
  readonly log: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** How long each server may take to answer its first probe. */
  readonly readyTimeoutMs?: number;
  /** The process whose death stops the servers; this process by default. */
  readonly parentPid?: number;
}

export interface LocalServers {
  readonly values: EndpointValues;
  readonly dataDir: string;
  readonly logDir: string;
  stop(): Promise<void>;
}

interface ServerPlan {
  readonly name: string;
  readonly dependency: LocalDependency;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly stopSignal: NodeJS.Signals;
  readonly logFile: string;
  /** A string on the server's command line that proves a pid is still this server. */
  readonly marker: string;
  /** Probe address, then the address the services get (they differ for PostgreSQL). */
  readonly probeAddress: string;
  readonly address: string;
}

interface SupervisorState {
  readonly supervisorPid: number;
  readonly parentPid: number;
  readonly servers: readonly {
    name: string;
    pid?: number;
    exited: boolean;
    exitCode: number | null;
    signal: string | null;
    logFile: string;
    marker: string;
  }[];
}

const stateFileName = 'supervisor-state.json';

export function dataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHAT_DATA_DIR?.trim() || join(repoRoot(), '.data');
}

export async function startLocalServers(options: LocalServersOptions): Promise<LocalServers> {
  const env = options.env ?? process.env;
  const log = options.log;
  const root = dataRoot(env);
  mkdirSync(root, { recursive: true });
  await removeLeftovers(root, options.profile, log);

  const dataDir = join(root, options.profile === 'dev' ? 'dev' : `${options.profile}-${process.pid}`);
  if (isEphemeral(options.profile)) rmSync(dataDir, { recursive: true, force: true });
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const installed = install(options.dependencies, log);
  const ports = await choosePorts(options.profile, options.dependencies, env, log);
  const plans = options.dependencies.map((dependency) =>
    planServer(dependency, { profile: options.profile, dataDir, logDir, ports, installed, log }),
  );

  const planFile = join(dataDir, 'supervisor-plan.json');
  const stateFile = join(dataDir, stateFileName);
  // A dev folder keeps the last run's state (its servers all exited); it must not be read as ours.
  rmSync(stateFile, { force: true });
  writeFileSync(
    planFile,
    JSON.stringify(
      {
        parentPid: options.parentPid ?? process.pid,
        stateFile,
        stopTimeoutMs: 20_000,
        servers: plans.map((p) => ({
          name: p.name,
          command: p.command,
          args: p.args,
          env: p.env ?? {},
          cwd: p.cwd ?? dataDir,
          uid: p.uid,
          gid: p.gid,
          stopSignal: p.stopSignal,
          logFile: p.logFile,
          marker: p.marker,
        })),
      },
      null,
      2,
    ),
  );

  const supervisorLog = openSync(join(logDir, 'supervisor.log'), 'a');
  const supervisor = spawn(process.execPath, [join(repoRoot(), 'deploy/local/supervisor.cjs'), planFile], {
    stdio: ['pipe', 'ignore', supervisorLog],
  });
  closeSync(supervisorLog);
  // Neither the child nor its pipe may keep the caller alive (jest waits for open handles);
  // the pipe still closes when the caller exits, which is how the supervisor notices.
  supervisor.unref();
  (supervisor.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const supervisorExit = new Promise<void>((resolve) => supervisor.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    await stopSupervisor(supervisor, supervisorExit, stateFile);
    // Retries: a file a just-killed server wrote last can still appear while the folder goes.
    if (isEphemeral(options.profile)) rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };

  const started = Date.now();
  try {
    await Promise.all(
      plans.map(async (plan) => {
        await waitUntilReady(plan.dependency, plan.probeAddress, {
          timeoutMs: options.readyTimeoutMs ?? 120_000,
          intervalMs: 200,
          stillWorthWaiting: () => assertRunning(plan, stateFile, supervisor),
        });
        if (plan.dependency === 'postgres') await ensureDatabase(plan.probeAddress, 'chat');
        log(`${plan.name} ready on ${plan.address} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }),
    );
  } catch (err) {
    await stop();
    const failed = plans.find((p) => err instanceof Error && err.message.includes(p.dependency));
    const hint = failed ? `\n--- last lines of ${failed.logFile} ---\n${tail(failed.logFile, 25)}` : '';
    throw new Error(`${err instanceof Error ? err.message : String(err)}${hint}`);
  }

  const values: EndpointValues = {};
  for (const plan of plans) values[plan.dependency] = plan.address;
  return { values, dataDir, logDir, stop };
}

interface Installed {
  readonly [key: string]: string | undefined;
}

function install(dependencies: readonly LocalDependency[], log: (line: string) => void): Installed {
  const components = dependencies.map((d) => (d === 'mongodb' ? 'ferretdb' : d));
  const t0 = Date.now();
  const result = spawnSync('bash', [join(repoRoot(), 'deploy/local/install.sh'), ...components], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `deploy/local/install.sh ${components.join(' ')} failed (exit ${result.status}):\n${result.stderr.trim().split('\n').slice(-30).join('\n')}`,
    );
  }
  const installed: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) installed[match[1]] = match[2];
  }
  log(`installed ${components.join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return installed;
}

function required(installed: Installed, key: string): string {
  const value = installed[key];
  if (!value) throw new Error(`deploy/local/install.sh did not report ${key}`);
  return value;
}

async function choosePorts(
  profile: LocalProfile,
  dependencies: readonly LocalDependency[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<Partial<Record<PortName, number>>> {
  const chosen: Partial<Record<PortName, number>> = {};
  const taken = new Set<number>();
  for (const name of dependencies.flatMap((d) => portsNeeded[d])) {
    const raw = env[localPortEnv[name]]?.trim();
    const explicit = raw ? Number(raw) : undefined;
    if (explicit !== undefined && !(Number.isInteger(explicit) && explicit > 0 && explicit < 65536)) {
      throw new Error(`${localPortEnv[name]}='${raw}' is not a port number`);
    }
    const { port, replacedDefault } = await choosePort(name, explicit, defaultPorts[profile][name], taken);
    if (replacedDefault) log(`${name}: default port ${defaultPorts[profile][name]} is busy, using ${port}`);
    chosen[name] = port;
    taken.add(port);
  }
  return chosen;
}

interface PlanContext {
  readonly profile: LocalProfile;
  readonly dataDir: string;
  readonly logDir: string;
  readonly ports: Partial<Record<PortName, number>>;
  readonly installed: Installed;
  readonly log: (line: string) => void;
}

function port(ctx: PlanContext, name: PortName): number {
  const value = ctx.ports[name];
  if (value === undefined) throw new Error(`no port chosen for ${name}`);
  return value;
}

function planServer(dependency: LocalDependency, ctx: PlanContext): ServerPlan {
  switch (dependency) {
    case 'kafka':
      return planKafka(ctx);
    case 'postgres':
      return planPostgres(ctx);
    case 'mongodb':
      return planFerretDb(ctx);
    case 'redis':
      return planRedis(ctx);
  }
}

function planKafka(ctx: PlanContext): ServerPlan {
  const dir = join(ctx.dataDir, 'kafka');
  const logDirs = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const brokerPort = port(ctx, 'kafka');
  const controllerPort = port(ctx, 'kafkaController');
  const properties = join(dir, 'server.properties');
  // Single-node KRaft (broker and controller in one process). Topics are never created by
  // accident: every topic the system uses is created explicitly, with its partition count.
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${logDirs}`,
      'auto.create.topics.enable=false',
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=10',
      'group.initial.rebalance.delay.ms=0',
      'log.retention.hours=168',
      // The active controller appends a no-op record to the metadata log every 500 ms by
      // default so that other brokers see it alive; a single node has no one to tell, and
      // those appends were a third of the idle broker's CPU.
      'metadata.max.idle.interval.ms=0',
      '',
    ].join('\n'),
  );
  const java = required(ctx.installed, 'JAVA_BIN');
  const classPath = `${required(ctx.installed, 'KAFKA_LIBS')}/*`;
  const log4j = `-Dlog4j.configuration=file:${required(ctx.installed, 'KAFKA_LOG4J')}`;
  const logFile = join(ctx.logDir, 'kafka.log');
  if (!existsSync(join(logDirs, 'meta.properties'))) {
    // Kafka's cluster ids are 16 random bytes in URL-safe base64, as its StorageTool makes
    // them; like Kafka, never one starting with '-', which its argument parser takes for a flag.
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    const format = spawnSync(java, ['-cp', classPath, log4j, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties], {
      encoding: 'utf8',
    });
    writeFileSync(logFile, `${format.stdout}${format.stderr}`, { flag: 'a' });
    if (format.status !== 0) {
      throw new Error(`kafka: formatting the KRaft storage failed (exit ${format.status}); see ${logFile}`);
    }
  }
  const address = `127.0.0.1:${brokerPort}`;
  return {
    name: 'kafka',
    dependency: 'kafka',
    command: java,
    args: [
      '-Xms256m',
      '-Xmx768m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${ctx.logDir}`,
      log4j,
      '-cp',
      classPath,
      'kafka.Kafka',
      properties,
    ],
    stopSignal: 'SIGTERM',
    logFile,
    marker: properties,
    probeAddress: address,
    address,
  };
}

/** PostgreSQL will not run as root; when we are root it runs as the account install.sh named. */
function postgresAccount(ctx: PlanContext): { uid: number; gid: number } | undefined {
  const user = ctx.installed.POSTGRES_OS_USER;
  if (!user || process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => {
    const out = spawnSync('id', [flag, user], { encoding: 'utf8' });
    const value = Number(out.stdout.trim());
    if (out.status !== 0 || !Number.isInteger(value)) throw new Error(`postgres: cannot read ${flag} of user ${user}`);
    return value;
  };
  return { uid: id('-u'), gid: id('-g') };
}

function canTraverse(dir: string, account: { uid: number; gid: number }): boolean {
  return spawnSync('test', ['-x', dir], { uid: account.uid, gid: account.gid }).status === 0;
}

function planPostgres(ctx: PlanContext): ServerPlan {
  const bin = required(ctx.installed, 'POSTGRES_BIN_DIR');
  const account = postgresAccount(ctx);
  let parent = ctx.dataDir;
  if (account && !canTraverse(parent, account)) {
    // The checkout sits where the postgres account cannot reach (under /root, say): keep its
    // data in a private folder of the temp dir instead, named after our data folder.
    parent = join(tmpdir(), `chat-backend-pg-${Buffer.from(ctx.dataDir).toString('hex').slice(-24)}`);
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    chownSync(parent, account.uid, account.gid);
    ctx.log(`postgres: the postgres account cannot write under ${ctx.dataDir}; its data lives in ${parent}`);
  }
  const dir = join(parent, 'postgres');
  const logFile = join(ctx.logDir, 'postgres.log');
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (account) chownSync(dir, account.uid, account.gid);
    const initdb = spawnSync(
      join(bin, 'initdb'),
      ['-D', dir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', ...(ctx.profile === 'test' ? ['--no-sync'] : [])],
      { encoding: 'utf8', uid: account?.uid, gid: account?.gid, cwd: dir },
    );
    writeFileSync(logFile, `${initdb.stdout}${initdb.stderr}`, { flag: 'a' });
    if (initdb.status !== 0) throw new Error(`postgres: initdb failed (exit ${initdb.status}); see ${logFile}`);
  }
  const pgPort = port(ctx, 'postgres');
  // Tests trade durability for speed; `npm start` keeps PostgreSQL's defaults.
  const testOnly = ctx.profile === 'test' ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  return {
    name: 'postgres',
    dependency: 'postgres',
    command: join(bin, 'postgres'),
    args: [
      '-D',
      dir,
      '-p',
      String(pgPort),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      ...testOnly,
    ],
    cwd: dir,
    ...(account ?? {}),
    // SIGINT is PostgreSQL's "fast shutdown": abort open transactions, checkpoint, exit.
    stopSignal: 'SIGINT',
    logFile,
    marker: dir,
    probeAddress: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    address: `postgres://postgres@127.0.0.1:${pgPort}/chat`,
  };
}

/**
 * The PostgreSQL database FerretDB keeps its collections in, on the PostgreSQL backend; the
 * launcher (deploy/local/ferretdb/main.go) waits for PostgreSQL and creates it.
 */
const FERRETDB_DATABASE = 'ferretdb';

/**
 * Documents one insert writes per SQLite transaction (FerretDB's embeddable default is 100,
 * set through our batch-size patch). A rebuild inserts 2,000 at a time: one commit instead
 * of twenty, about a tenth of FerretDB's CPU in `npm run bench:replay`.
 */
const FERRETDB_INSERT_BATCH = 2_000;

function planFerretDb(ctx: PlanContext): ServerPlan {
  const dir = join(ctx.dataDir, 'ferretdb');
  mkdirSync(dir, { recursive: true });
  const mongoPort = port(ctx, 'mongodb');
  // FerretDB v1 has no retryable writes; telling the driver up front avoids a failed first write.
  const address = `mongodb://127.0.0.1:${mongoPort}/chat?retryWrites=false&directConnection=true`;
  // SQLite by default, with our patch that lets lookups by _id use the _id index (see
  // deploy/local/ferretdb/patches). WAL with synchronous=NORMAL: a commit is not fsynced on its
  // own but with the next WAL checkpoint, the way MongoDB journals every 100 ms rather than
  // per write; a crash of the machine can lose the last commits, never consistency, and the
  // read models rebuild from the event store anyway. Tests: no syncing at all. The PostgreSQL
  // backend hung the projections' storage tests here (FerretDB's connections left idle,
  // every query waiting), so it is opt-in: LOCAL_FERRETDB_HANDLER=postgresql.
  const pgPort = ctx.ports.postgres;
  const handler = process.env.LOCAL_FERRETDB_HANDLER?.trim() || 'sqlite';
  if (handler !== 'sqlite' && handler !== 'postgresql') throw new Error(`LOCAL_FERRETDB_HANDLER must be sqlite or postgresql, got '${handler}'`);
  if (handler === 'postgresql' && pgPort === undefined) throw new Error('LOCAL_FERRETDB_HANDLER=postgresql needs the local PostgreSQL');
  const backend =
    handler === 'sqlite'
      ? ['-handler', 'sqlite', '-sqlite-url', `file:${dir}/?_pragma=synchronous(${ctx.profile === 'test' ? 'off' : 'normal'})`]
      : ['-handler', 'postgresql', '-postgresql-url', `postgres://postgres@127.0.0.1:${pgPort}/${FERRETDB_DATABASE}`];
  return {
    name: 'ferretdb',
    dependency: 'mongodb',
    command: required(ctx.installed, 'FERRETDB_BIN'),
    // LOCAL_FERRETDB_DEBUG_ADDR (e.g. 127.0.0.1:6060): FerretDB's Go profiles, for finding
    // where the read side's time goes (`go tool pprof http://…/debug/pprof/profile`).
    // LOCAL_FERRETDB_LOG_LEVEL=debug logs every command it is sent (into ferretdb.log).
    args: ['-listen', `127.0.0.1:${mongoPort}`, ...backend, '-batch-size', String(FERRETDB_INSERT_BATCH), '-log-level', process.env.LOCAL_FERRETDB_LOG_LEVEL?.trim() || 'error', ...debugAddress()],
    // Go's collector at its default (GOGC=100) was a seventh of FerretDB's CPU in a rebuild;
    // its live heap is small (tens of MB), so collecting at 5x that costs little memory.
    env: { GOGC: '400' },
    stopSignal: 'SIGTERM',
    logFile: join(ctx.logDir, 'ferretdb.log'),
    marker: dir,
    probeAddress: address,
    address,
  };
}

function debugAddress(): string[] {
  const address = process.env.LOCAL_FERRETDB_DEBUG_ADDR?.trim();
  return address ? ['-debug-addr', address] : [];
}

function planRedis(ctx: PlanContext): ServerPlan {
  const dir = join(ctx.dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const redisPort = port(ctx, 'redis');
  const address = `redis://127.0.0.1:${redisPort}`;
  return {
    name: 'redis',
    dependency: 'redis',
    command: required(ctx.installed, 'REDIS_SERVER_BIN'),
    // Presence and the Socket.IO adapter keep nothing Redis must persist.
    // set-proc-title off keeps the command line (and so the data folder) visible to leftover checks.
    args: ['--bind', '127.0.0.1', '--port', String(redisPort), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--set-proc-title', 'no'],
    stopSignal: 'SIGTERM',
    logFile: join(ctx.logDir, 'redis.log'),
    marker: dir,
    probeAddress: address,
    address,
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new PgClient({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

function readState(stateFile: string): SupervisorState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as SupervisorState;
  } catch {
    return undefined;
  }
}

function assertRunning(plan: ServerPlan, stateFile: string, supervisor: ChildProcess): void {
  if (supervisor.exitCode !== null || supervisor.signalCode !== null) {
    throw new Error(`${plan.dependency}: the supervisor exited before ${plan.name} was ready`);
  }
  const server = readState(stateFile)?.servers.find((s) => s.name === plan.name);
  if (server?.exited) {
    throw new Error(`${plan.dependency}: ${plan.name} exited before it was ready (code ${server.exitCode}, signal ${server.signal})`);
  }
}

async function stopSupervisor(supervisor: ChildProcess, exited: Promise<void>, stateFile: string): Promise<void> {
  if (supervisor.exitCode === null && supervisor.signalCode === null) {
    // While we wait for it, the supervisor must keep this process alive: unref'd, its exit
    // would be the only thing pending, and Node would quietly end mid-teardown with code 0.
    supervisor.ref();
    supervisor.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 30_000)))]);
    clearTimeout(timer);
  }
  // Belt and braces: whatever the supervisor could not stop, we kill by process group, and
  // wait until it is gone: a server still dying can write into the folder being removed.
  const killed: number[] = [];
  for (const server of readState(stateFile)?.servers ?? []) {
    if (server.pid && isAlive(server.pid)) {
      killGroup(server.pid, 'SIGKILL');
      killed.push(server.pid);
    }
  }
  const deadline = Date.now() + 10_000;
  while (killed.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Stops servers that an earlier run left behind (its supervisor was SIGKILLed, say) before
 * this run reuses the folder or ports. A `dev` folder whose owner is still alive means
 * `npm start` is already running: that is an error, not a leftover.
 */
async function removeLeftovers(root: string, profile: LocalProfile, log: (line: string) => void): Promise<void> {
  const folders = readdirSync(root).filter((name) =>
    profile === 'dev' ? name === 'dev' : new RegExp(`^${profile}-\\d+$`).test(name),
  );
  for (const folder of folders) {
    const dir = join(root, folder);
    const state = readState(join(dir, stateFileName));
    // Owned by a live run only while its supervisor lives too: a bare parent pid may have
    // been reused by an unrelated process since.
    const supervised = state !== undefined && isAlive(state.supervisorPid) && cmdlineMentions(state.supervisorPid, dir);
    if (state && supervised && isAlive(state.parentPid) && state.parentPid !== process.pid) {
      if (profile === 'dev') {
        throw new Error(`local servers in ${dir} belong to a running process (pid ${state.parentPid}): is npm start already running?`);
      }
      continue; // another test run, still going
    }
    const alive = (state?.servers ?? []).filter((s) => s.pid && isAlive(s.pid) && cmdlineMentions(s.pid, s.marker));
    if (supervised) killGroup(state.supervisorPid, 'SIGTERM');
    if (alive.length > 0) {
      log(`stopping ${alive.map((s) => `${s.name} (pid ${s.pid})`).join(', ')} left by an earlier run in ${dir}`);
      for (const s of alive) killGroup(s.pid as number, 'SIGTERM');
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && alive.some((s) => isAlive(s.pid as number))) await sleep(100);
      for (const s of alive) if (isAlive(s.pid as number)) killGroup(s.pid as number, 'SIGKILL');
    }
    if (isEphemeral(profile)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Guards against pid reuse: only a process that looks like ours is ever signalled. */
function cmdlineMentions(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(marker);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
