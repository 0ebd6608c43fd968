import type { ServerToClientEvents } from '@chat/contracts';
import { AccessTokens, DEV_JWT_SECRET, PostgresEventStore, recordBenchmarkSection } from '@chat/runtime';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { Cleanup } from './cleanup';
import { CpuMeter, localServerPids, systemCores } from './cpu';
import { machine } from './report';
import { ReadsWorld } from './reads-world';
import { ms, sleep, type Summary, summarize } from './stats';
import { projectionsCaughtUp, serviceEnv, servicePids, startBenchInfrastructure, startServices } from './system';

/**
 * What reads cost as the store grows: one world (reads-world.ts) measured at 1,000, 100,000
 * and 1,000,000 messages. Each size is written into the event store as the write side would
 * have appended it, projected by the replay (`replay.cli`, the one that rebuilds production's
 * read models), then the whole system is started on it and measured through its public API:
 *   - a history page (50 messages) at the newest end, and 1,000 messages back;
 *   - the conversation list of a user with 200 conversations (the first read after a start
 *     apart: the gateway then remembers conversations it has read, exactly, see queries.ts);
 *   - conversation detail, over that user's 200 conversations;
 *   - the gateway's join check (`join:conversation` answered), over the same 200;
 *   - a connect storm: 1,000 users, offline until then, connect within 5 s; timed until every
 *     `user:online` their contacts are owed and every `message:delivered` their waiting
 *     messages are owed have reached the (online) contacts and senders, each exactly once.
 * Every request phase also reports the CPU it took per request across all processes
 * (services and servers). Records the table in docs/benchmarks.md.
 *
 * Run: npm run bench:reads [-- --sizes 1000,100000,1000000] [--requests 300] [--no-write]
 */

const log = (line: string): void => console.log(`[bench] ${line}`);
const root = join(__dirname, '..', '..', '..', '..');

interface Phase {
  readonly name: string;
  readonly target: string;
  readonly summary: Summary;
  /** CPU of every process beyond what they use at rest, in ms per request. */
  readonly cpuMsPerRequest: number | undefined;
}

interface Storm {
  /** Cores each process kept busy during the storm, at rest subtracted. */
  readonly cpu: string;
  readonly users: number;
  readonly connectMs: number;
  readonly onlineMs: number;
  readonly deliveredMs: number;
  readonly online: number;
  readonly expectedOnline: number;
  readonly delivered: number;
  readonly expectedDelivered: number;
  readonly extra: number;
  readonly lagAfter: number;
}

interface SizeFigures {
  /** Cores busy across every process with no traffic at all. */
  readonly idleCores: number | undefined;
  readonly messages: number;
  readonly events: number;
  readonly seedMs: number;
  readonly projectMs: number;
  readonly phases: readonly Phase[];
  readonly storm: Storm;
}

type Client = Socket<ServerToClientEvents>;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sizes: { type: 'string' }, requests: { type: 'string' }, 'no-write': { type: 'boolean' } },
  });
  const sizes = (values.sizes ?? process.env.BENCH_SIZES ?? '1000,100000,1000000').split(',').map(Number);
  const requests = Number(values.requests ?? process.env.BENCH_REQUESTS ?? 300);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1_000) || !Number.isInteger(requests) || requests < 10) {
    throw new Error('--sizes: whole numbers of messages, each at least 1,000; --requests: at least 10');
  }
  const cleanup = new Cleanup(log);
  cleanup.stopOnSignals();
  const startedAt = new Date();
  try {
    const infrastructure = await startBenchInfrastructure(cleanup, log);
    const env: NodeJS.ProcessEnv = {
      ...(await serviceEnv(infrastructure, cleanup)),
      // One user asks hundreds of times in a row: that is the measurement, not abuse.
      SOCKET_EVENTS_PER_SECOND: '1000000',
      SOCKET_EVENTS_BURST: '1000000',
      // Measured as a client sees a settled system, not while the analysts' export catches up.
      EVENT_EXPORT: 'off',
    };
    const store = new PostgresEventStore({ connectionString: infrastructure.endpoints.postgresUrl });
    cleanup.add('the event store client', () => store.close());
    await store.migrate();
    const world = new ReadsWorld();
    log(`world: ${world.conversationCount} conversations; user ${world.people.heavy200} has ${world.ofHeavy200.length}`);
    const figures: SizeFigures[] = [];
    for (const size of sizes) {
      let seeded = Date.now();
      const growth = await world.grow(store, size);
      const seedMs = Date.now() - seeded;
      log(`${size.toLocaleString('en-US')} messages: appended ${growth.events} events (${growth.messages} messages) in ${(seedMs / 1000).toFixed(1)} s`);
      seeded = Date.now();
      await replay(env);
      const projectMs = Date.now() - seeded;
      log(`  projected by the replay in ${(projectMs / 1000).toFixed(1)} s`);
      const system = await startServices(env, cleanup, log);
      try {
        const { behind } = await projectionsCaughtUp(env.PROJECTIONS_HEALTH_URL as string, 120_000);
        if (behind > 0) log(`  the projections are ${behind} events behind; measuring regardless`);
        const meter = new CpuMeter(() => ({
          // The clients: their CPU is reported, never charged to the system.
          bench: [process.pid],
          ...servicePids(system.services),
          ...(infrastructure.localDataDir === undefined ? {} : localServerPids(infrastructure.localDataDir)),
        }));
        // At rest first: what every process uses with nothing to do is not charged to requests.
        await sleep(5_000);
        const rest = meter.snapshot();
        await sleep(10_000);
        const idle = meter.since(rest);
        const idleCores = idle && systemCores(idle);
        const byProcess = Object.entries(idle?.processes ?? {})
          .filter(([, cores]) => cores >= 0.005)
          .map(([name, cores]) => `${name} ${cores.toFixed(3)}`)
          .join(', ');
        log(`  at rest: ${idleCores === undefined ? 'n/a' : idleCores.toFixed(3)} cores busy across every process (${byProcess})`);
        const phases = await measureRequests(system.gatewayUrl, world, requests, meter, idleCores ?? 0);
        const storm = await connectStorm(system.gatewayUrl, world, env.PROJECTIONS_HEALTH_URL as string, meter, idle?.processes ?? {});
        world.stormDelivered();
        figures.push({ idleCores, messages: world.messages, events: growth.events, seedMs, projectMs, phases, storm });
        printSize(figures[figures.length - 1] as SizeFigures);
      } finally {
        await system.stop();
      }
    }
    const table = markdown(figures, requests, startedAt, sizes);
    console.log(`\n${table}\n`);
    if (!values['no-write'] && process.env.BENCH_NO_WRITE !== '1') {
      recordBenchmarkSection({ begin: '<!-- reads-bench:start -->', end: '<!-- reads-bench:end -->' }, table);
      log('recorded in docs/benchmarks.md');
    }
  } finally {
    await cleanup.run();
  }
}

/** Rebuilds the read models of the run's database from the event store with the replay command, and switches to them. */
async function replay(env: NodeJS.ProcessEnv): Promise<void> {
  const cli = join(root, 'services', 'projections', 'dist', 'replay', 'replay.cli.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, '--drop-delay-ms', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`replay failed (${code}):\n${output.slice(-2_000)}`))));
  });
}

async function timed(count: number, meter: CpuMeter, idleCores: number, request: (i: number) => Promise<void>): Promise<{ samples: number[]; cpuMsPerRequest: number | undefined }> {
  const samples: number[] = [];
  const start = meter.snapshot();
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await request(i);
    samples.push(performance.now() - t);
  }
  const elapsed = performance.now() - began;
  const cpu = meter.since(start);
  const cores = cpu && systemCores(cpu);
  return { samples, cpuMsPerRequest: cores === undefined ? undefined : (Math.max(0, cores - idleCores) * elapsed) / count };
}

async function getOk(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { success: boolean; data?: unknown; message?: string };
  if (response.status !== 200 || !body.success) throw new Error(`GET ${url}: ${response.status} ${body.message ?? ''}`);
  return body.data;
}

async function measureRequests(gatewayUrl: string, world: ReadsWorld, requests: number, meter: CpuMeter, idleCores: number): Promise<Phase[]> {
  const tokens = new AccessTokens(DEV_JWT_SECRET);
  const user = world.people.heavy200;
  const token = tokens.sign(user);
  const history = world.history;
  const back = world.historyMessage(Math.max(1, history.count - 1_000));
  const phases: Phase[] = [];
  const phase = async (name: string, target: string, run: (i: number) => Promise<void>): Promise<void> => {
    for (let i = 0; i < 20; i++) await run(i); // warm: connections, the JIT
    const { samples, cpuMsPerRequest } = await timed(requests, meter, idleCores, run);
    phases.push({ name, target, summary: summarize(samples), cpuMsPerRequest });
  };
  const listUrl = `${gatewayUrl}/api/conversations`;
  // The first list after the start reads every conversation document; later ones only the inbox.
  const first = await timed(1, meter, idleCores, async () => {
    const list = (await getOk(listUrl, token)) as unknown[];
    if (list.length !== world.ofHeavy200.length) throw new Error(`the list holds ${list.length} conversations, not ${world.ofHeavy200.length}`);
  });
  phases.push({ name: 'conversation list, first after the start (200 conversations)', target: '', summary: summarize(first.samples), cpuMsPerRequest: first.cpuMsPerRequest });
  await phase('history page, newest (50 messages)', 'p50 ≤ 5 ms, p99 ≤ 20 ms', async () => {
    await getOk(`${gatewayUrl}/api/conversations/${history.id}/messages?limit=50`, token);
  });
  await phase(`history page, 1,000 messages back (or the oldest page)`, 'p50 ≤ 5 ms, p99 ≤ 20 ms', async () => {
    await getOk(`${gatewayUrl}/api/conversations/${history.id}/messages?limit=50&before=${back ?? ''}`, token);
  });
  await phase('conversation list (200 conversations)', 'p50 ≤ 10 ms', async () => {
    await getOk(listUrl, token);
  });
  await phase('conversation detail', '', async (i) => {
    await getOk(`${gatewayUrl}/api/conversations/${world.ofHeavy200[i % world.ofHeavy200.length] ?? ''}`, token);
  });
  const socket: Client = io(gatewayUrl, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  try {
    await phase('join check (join:conversation answered)', '', async (i) => {
      const conversationId = world.ofHeavy200[i % world.ofHeavy200.length] ?? '';
      const answer = await new Promise<{ success: boolean }>((resolve) => (socket as unknown as { emit: (...args: unknown[]) => void }).emit('join:conversation', { conversationId }, resolve));
      if (!answer.success) throw new Error(`join:conversation refused for ${conversationId}`);
    });
  } finally {
    socket.disconnect();
  }
  return phases;
}

/** 1,000 offline users connect within 5 s while their observers (online) count what reaches them. */
async function connectStorm(
  gatewayUrl: string,
  world: ReadsWorld,
  projectionsHealthUrl: string,
  meter: CpuMeter,
  idle: Readonly<Record<string, number>>,
): Promise<Storm> {
  const tokens = new AccessTokens(DEV_JWT_SECRET);
  const connect = (userId: string): Promise<Client> =>
    new Promise((resolve, reject) => {
      const socket: Client = io(gatewayUrl, { auth: { token: tokens.sign(userId) }, transports: ['websocket'], reconnection: false, forceNew: true });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  const storm = new Set(world.people.storm);
  const expectedOnline = world.people.storm.length;
  const expectedDelivered = [...world.pendingByObserver.values()].reduce((sum, ids) => sum + ids.length, 0);
  const online = new Map<string, number>();
  const connectedAt = new Map<string, number>();
  const announceDelays: number[] = [];
  const connectDelays: number[] = [];
  const delivered = new Map<string, number>();
  let lastOnline = 0;
  let lastDelivered = 0;
  const observers = await Promise.all(world.people.observers.map(connect));
  for (const socket of observers) {
    socket.on('user:online', ({ userId }) => {
      if (!storm.has(userId)) return;
      online.set(userId, (online.get(userId) ?? 0) + 1);
      lastOnline = performance.now();
      const at = connectedAt.get(userId);
      if (at !== undefined) announceDelays.push(lastOnline - at);
    });
    socket.on('message:delivered', ({ messageId }) => {
      delivered.set(messageId, (delivered.get(messageId) ?? 0) + 1);
      lastDelivered = performance.now();
    });
  }
  await sleep(1_000);
  const sockets: Client[] = [];
  const cpuStart = meter.snapshot();
  const began = performance.now();
  // 200 a second: the 1,000 within 5 s.
  const connecting: Promise<void>[] = [];
  world.people.storm.forEach((userId, index) => {
    connecting.push(
      sleep(index * 5).then(async () => {
        const asked = performance.now();
        sockets.push(await connect(userId));
        connectedAt.set(userId, performance.now());
        connectDelays.push(performance.now() - asked);
      }),
    );
  });
  await Promise.all(connecting);
  const connectMs = performance.now() - began;
  log(`  storm: connecting took p50 ${ms(summarize(connectDelays).p50)}, p99 ${ms(summarize(connectDelays).p99)} per socket`);
  const deadline = Date.now() + 60_000;
  while ((online.size < expectedOnline || delivered.size < expectedDelivered) && Date.now() < deadline) await sleep(50);
  log(`  storm: user:online came p50 ${ms(summarize(announceDelays).p50)}, p99 ${ms(summarize(announceDelays).p99)} after the connect`);
  const used = meter.since(cpuStart);
  const cpu = used
    ? Object.entries(used.processes)
        .map(([name, cores]) => [name, cores - (idle[name] ?? 0)] as const)
        .filter(([, cores]) => cores >= 0.01)
        .sort((a, b) => b[1] - a[1])
        .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
        .join(', ')
    : 'n/a';
  // Then nothing more may come: each announcement and each receipt once.
  await sleep(3_000);
  const { behind } = await projectionsCaughtUp(projectionsHealthUrl, 10_000);
  const extra = [...online.values(), ...delivered.values()].reduce((sum, n) => sum + (n - 1), 0);
  for (const socket of [...sockets, ...observers]) socket.disconnect();
  return {
    cpu,
    users: world.people.storm.length,
    connectMs,
    onlineMs: online.size === expectedOnline ? lastOnline - began : NaN,
    deliveredMs: expectedDelivered > 0 && delivered.size === expectedDelivered ? lastDelivered - began : NaN,
    online: online.size,
    expectedOnline,
    delivered: delivered.size,
    expectedDelivered,
    extra,
    lagAfter: behind,
  };
}

function printSize(size: SizeFigures): void {
  log(`${size.messages.toLocaleString('en-US')} messages:`);
  for (const phase of size.phases) {
    log(`  ${phase.name}: p50 ${ms(phase.summary.p50)}, p99 ${ms(phase.summary.p99)}, max ${ms(phase.summary.max)}; CPU ${cpu(phase.cpuMsPerRequest)} per request`);
  }
  const s = size.storm;
  log(
    `  connect storm: ${s.users} users connected in ${ms(s.connectMs)}; every user:online after ${ms(s.onlineMs)} (${s.online}/${s.expectedOnline}), ` +
      `every message:delivered after ${ms(s.deliveredMs)} (${s.delivered}/${s.expectedDelivered}), ${s.extra} duplicates, projections ${s.lagAfter} events behind after; ` +
      `cores busy beyond rest until then: ${s.cpu}`,
  );
}

function cpu(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(2)} ms`;
}

function markdown(figures: readonly SizeFigures[], requests: number, startedAt: Date, sizes: readonly number[]): string {
  const header = ['query', ...figures.map((f) => `${f.messages.toLocaleString('en-US')} messages: p50 / p99 (CPU per request)`), 'target'];
  const names = figures[0]?.phases.map((p) => p.name) ?? [];
  const rows = names.map((name) => {
    const cells = figures.map((f) => {
      const phase = f.phases.find((p) => p.name === name);
      return phase ? `${ms(phase.summary.p50)} / ${ms(phase.summary.p99)} (${cpu(phase.cpuMsPerRequest)})` : 'n/a';
    });
    return [name, ...cells, figures[0]?.phases.find((p) => p.name === name)?.target || ''];
  });
  const stormRow = [
    `connect storm: 1,000 users within 5 s, until every user:online and message:delivered is out`,
    ...figures.map(
      (f) =>
        `${ms(Math.max(f.storm.onlineMs, f.storm.deliveredMs))} (online ${ms(f.storm.onlineMs)}, delivered ${ms(f.storm.deliveredMs)}; ` +
        `${f.storm.delivered} receipts, ${f.storm.extra} duplicates; cores: ${f.storm.cpu})`,
    ),
    '≤ 10 s, nothing left after',
  ];
  const seedRow = ['seeding: events appended, projected by the replay', ...figures.map((f) => `${f.events.toLocaleString('en-US')} events; replay ${(f.projectMs / 1000).toFixed(0)} s`), ''];
  const idleRow = ['at rest: cores busy across every process', ...figures.map((f) => (f.idleCores === undefined ? 'n/a' : f.idleCores.toFixed(3))), ''];
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    '## Reads as the store grows',
    '',
    `Command: \`npm run bench:reads -- --sizes ${sizes.join(',')} --requests ${requests}\` (${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()}; ` +
      'local Kafka, PostgreSQL event store, FerretDB v1.24 read store, Redis). Each figure is over ' +
      `${requests} requests one after another through the gateway's REST API or socket, after 20 unmeasured; CPU is of every process (services and servers) per request, beyond what they use at rest.`,
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
    line(stormRow),
    line(idleRow),
    line(seedRow),
  ].join('\n');
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
});
