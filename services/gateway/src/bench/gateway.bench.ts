import type { RunningInfrastructure } from '@chat/runtime';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadGatewayConfig } from '../config/gateway-config';
import { Cleanup } from './cleanup';
import { ChatClients } from './clients';
import { CpuMeter, formatCpu, localServerPids, systemCores } from './cpu';
import {
  type CpuPerMessage,
  type DeliveryFigures,
  type GroupStepFigures,
  type IdleFigures,
  type StepFigures,
  STEP_MAX_P99_MS,
  type SubjectFigures,
  cpuPerMessage,
  deliveryFigures,
  groupStepFigures,
  stepFigures,
} from './figures';
import { type HopFigures, type HopRow, HopTaps, hopFigures } from './hop-taps';
import { MessageTracker, type SendingRun, sendAtRate, settle } from './load';
import { type BenchOptions, OptionsError, type ReferenceKind, checkSpread, commandLine, parseOptions, usage } from './options';
import { type Observations, PhaseProbe, formatObservations } from './probe';
import { referenceNames, startReference } from './references';
import { type BenchResults, markdown, record, summaryLine, sustained, targetRows, targets } from './report';
import { ms, perSecond, sleep } from './stats';
import {
  type ChatUnderTest,
  outputMark,
  projectionsCaughtUp,
  serviceComplaints,
  servicePids,
  startBenchInfrastructure,
  startChat,
} from './system';

/**
 * End-to-end benchmark of the chat backend, as a client sees it: real Socket.IO clients
 * against the whole system (gateway, messaging, projections, presence and media, each its own
 * process, on local Kafka, PostgreSQL, FerretDB and Redis started for the run and stopped after
 * it, also on an error or Ctrl-C), held next to two references measured the same way on the
 * same machine in the same run. Phases, in order:
 *   0. references, once the servers are up and before our services start, each a process of
 *      its own (reference-server.ts) stopped after its phases: a bare Socket.IO relay (the
 *      floor) and a peer of the seed's shape (Socket.IO and an insert per message into a
 *      database of its own on the same FerretDB); each goes through phases 1, 2, 3, 6 and 7;
 *   1. warm-up: unmeasured sending (JIT, connection pools, Kafka fetch sessions);
 *   2. at rest: every process's CPU with every socket connected and nothing sent;
 *   3. latency: `send:message` at a fixed rate spread evenly over N conversations; emit →
 *      `new:message` at the recipient (p50/p90/p99/max, lost = not received within 10 s),
 *      and emit → `message:sent` at the sender;
 *   4. latency again over a few conversations (pairs of their own): the same rate, each
 *      conversation busier;
 *   5. hop by hop: the same rate again with tap consumers on the commands, command-results and
 *      notifications topics, splitting the latency into gateway, messaging, projections and
 *      relay (kept out of phase 3, whose figures the taps' extra consumers would touch);
 *   6. throughput: offered rates stepped up until one step does not keep up (≥ 95 % delivered
 *      within the step + 5 s, p99 < 150 ms); the highest one kept up is the sustained figure;
 *   7. CPU per delivered message at one rate, every process of the system together: from the
 *      throughput step at that rate, or a step of its own when none ran;
 *   8. group: one group, every member online and sending in turn, at stepped rates; copies of
 *      `new:message` received a second across the members, and the latency of each copy.
 * Every phase starts once our read side has caught up with what the ones before sent.
 * Prints the figures and rewrites its section of docs/benchmarks.md with them and the command.
 *
 * Run: npm run bench:gateway -- [options]; every option also as an environment variable:
 *   --rate N            BENCH_RATE            messages/s of the latency and hop phases (200)
 *   --rate-seconds N    BENCH_RATE_SECONDS    length of each latency phase in s (30)
 *   --hop-seconds N     BENCH_HOP_SECONDS     length of the hop-by-hop phase in s, 0 skips it (15)
 *   --steps A,B,…       BENCH_STEPS           offered rates of the throughput phase, "" skips it (500,1000,2000,3000,4000)
 *   --max-seconds N     BENCH_MAX_SECONDS     length of each throughput, group or CPU step in s (30)
 *   --warmup-seconds N  BENCH_WARMUP_SECONDS  unmeasured sending before the latency phase, in s (5)
 *   --pairs N           BENCH_PAIRS           conversations the load is spread over (100)
 *   --few-pairs N       BENCH_FEW_PAIRS       conversations of the second latency phase, 0 skips it (20)
 *   --group-members N   BENCH_GROUP_MEMBERS   members of the group phase, 0 skips it (100)
 *   --group-steps A,B,… BENCH_GROUP_STEPS     messages/s sent into the group, "" skips it (50,100,200,300)
 *   --cpu-rate N        BENCH_CPU_RATE        rate of the CPU per delivered message, 0 skips it (1000)
 *   --idle-seconds N    BENCH_IDLE_SECONDS    length of the at-rest measurement in s, 0 skips it (20)
 *   --references A,B    BENCH_REFERENCES      references measured first, "" skips them (relay,peer)
 *   --no-write          BENCH_NO_WRITE=1      print only; leave docs/benchmarks.md alone (for trial runs)
 * A short trial: npm run bench:gateway -- --rate-seconds 5 --hop-seconds 0 --steps 500 --max-seconds 5
 *   --idle-seconds 5 --group-members 10 --group-steps 20 --no-write
 */

const root = join(__dirname, '..', '..', '..', '..');
const log = (line: string): void => console.log(`[bench] ${line}`);

/** What the phases run against: our system or a reference. */
interface Subject {
  readonly probe: PhaseProbe;
  /** Resolves once what earlier phases sent is done with: for ours, the read side caught up. */
  readonly caughtUp: () => Promise<void>;
}

/**
 * Ours: watches the CPU of this process (the clients), of each service and of each local
 * server, and the projection worker's batches.
 */
function chatSubject(chat: ChatUnderTest): Subject {
  const dataDir = chat.infrastructure.localDataDir;
  const cpu = new CpuMeter(() => ({
    bench: [process.pid],
    ...servicePids(chat.services),
    ...(dataDir === undefined ? {} : localServerPids(dataDir)),
  }));
  return { probe: new PhaseProbe(cpu, chat.projectionsHealthUrl), caughtUp: () => readSideCaughtUp(chat) };
}

/**
 * A phase starts once the read side has caught up with what earlier phases sent: a backlog
 * left over would be charged to this phase. Waiting is bounded, and said.
 */
async function readSideCaughtUp(chat: ChatUnderTest): Promise<void> {
  const { behind, waitedMs } = await projectionsCaughtUp(chat.projectionsHealthUrl, 120_000);
  if (behind > 0) log(`  the projections are still ${behind} events behind after ${(waitedMs / 1000).toFixed(0)} s; going on regardless`);
  else if (waitedMs > 1_000) log(`  (waited ${(waitedMs / 1000).toFixed(1)} s for the projections to catch up with earlier phases)`);
}

/** Sends at `rate` for `seconds`, observed over the sending only (not the drain after it). */
async function sendObserved(tracker: MessageTracker, subject: Subject, rate: number, seconds: number) {
  await subject.caughtUp();
  const start = await subject.probe.begin();
  const run = await sendAtRate(tracker, rate, seconds);
  const observed = await subject.probe.end(start);
  await settle(run);
  return { run, observed };
}

async function warmUp(tracker: MessageTracker, options: BenchOptions): Promise<void> {
  if (options.warmupSeconds === 0) return;
  log(`warm-up: ${options.rate} msg/s for ${options.warmupSeconds} s (not measured)`);
  await settle(await sendAtRate(tracker, options.rate, options.warmupSeconds));
}

async function idlePhase(subject: Subject, seconds: number, sockets: number): Promise<IdleFigures> {
  log(`at rest: ${seconds} s with ${sockets} sockets connected and nothing sent`);
  await subject.caughtUp();
  // The warm-up's last acknowledgements, commits and flushes are not rest.
  await sleep(2_000);
  const start = await subject.probe.begin();
  await sleep(seconds * 1000);
  const { cpu } = await subject.probe.end(start);
  const cores = cpu && systemCores(cpu);
  log(`  ${cores === undefined ? 'n/a' : cores.toFixed(3)} cores busy across every process (target ≤ ${targets.idleCores}); ${formatCpu(cpu, 3)}`);
  return { seconds, sockets, cpu, cores };
}

async function latencyPhase(subject: Subject, tracker: MessageTracker, options: BenchOptions, conversations: number): Promise<DeliveryFigures> {
  log(`latency: ${options.rate} msg/s for ${options.rateSeconds} s over ${conversations} conversations`);
  const { run, observed } = await sendObserved(tracker, subject, options.rate, options.rateSeconds);
  const figures = deliveryFigures(run, observed);
  log(`  new:message at the recipient  ${summaryLine(figures.delivery)}  (target p50 ≤ ${targets.p50Ms} ms, p99 ≤ ${targets.p99Ms} ms)`);
  log(`  lost (not received within 10 s): ${figures.lost} of ${figures.sent}; refused: ${describeFailures(figures)}`);
  log(`  message:sent at the sender     ${summaryLine(figures.confirmation)}  (missing ${figures.unconfirmed}; target p50 ≤ ${targets.confirmationP50Ms} ms)`);
  log(`  acknowledgement                ${summaryLine(figures.acknowledgement)}`);
  log(`  emitted ${perSecond(figures.emittedRate)}; ${formatObservations(observed)}`);
  return figures;
}

async function hopPhase(
  tracker: MessageTracker,
  chat: ChatUnderTest,
  runId: string,
  options: BenchOptions,
  cleanup: Cleanup,
): Promise<HopFigures> {
  log(`hop by hop: ${options.rate} msg/s for ${options.hopSeconds} s with tap consumers on the three topics`);
  await readSideCaughtUp(chat);
  const taps = new HopTaps(chat.infrastructure.endpoints.kafkaBrokers, runId, (text) => tracker.seqOf(text));
  await taps.start(cleanup);
  const run: SendingRun = await sendAtRate(tracker, options.rate, options.hopSeconds);
  await settle(run);
  // The taps may still be reading the last records after the clients had them.
  await sleep(1_000);
  await taps.stop();
  const hops = hopFigures(run.records, taps);
  const print = (rows: readonly HopRow[]): void => {
    for (const row of rows) log(`  ${row.hop.padEnd(8)} p50 ${ms(row.summary.p50).padStart(9)}  p99 ${ms(row.summary.p99).padStart(9)}  ${row.what}`);
  };
  log(`  ${hops.sampled} messages seen at every hop (${hops.incomplete} left out); as the taps saw them:`);
  print(hops.seen);
  log('  by the records’ producer timestamps (no tap delay, 1 ms resolution):');
  print(hops.stamped);
  log('  Kafka hand-over to a consumer with the services’ settings (what the taps add, and each service pays):');
  print(hops.handover);
  return hops;
}

/** Steps `rates` up, each for `seconds`, until one does not keep up; `judge` makes a step's figures. */
async function stepped<T extends StepFigures>(
  what: string,
  subject: Subject,
  tracker: MessageTracker,
  rates: readonly number[],
  seconds: number,
  judge: (rate: number, run: SendingRun, observed: Observations) => T,
  describe: (step: T) => string,
): Promise<T[]> {
  const steps: T[] = [];
  for (const rate of rates) {
    log(`${what}: ${perSecond(rate)} offered for ${seconds} s`);
    const { run, observed } = await sendObserved(tracker, subject, rate, seconds);
    const step = judge(rate, run, observed);
    steps.push(step);
    log(`  ${describe(step)}: ${step.keptUp ? 'kept up' : `did not keep up (${step.shortfalls.join('; ')})`}`);
    log(`  ${formatObservations(observed)}`);
    if (!step.keptUp) break;
  }
  return steps;
}

function stepLine(step: StepFigures): string {
  return `emitted ${perSecond(step.emittedRate)}, delivered ${perSecond(step.deliveredRate)}, p50 ${ms(step.delivery.p50)}, p99 ${ms(step.delivery.p99)}, lost ${step.lost}`;
}

async function throughputPhase(subject: Subject, tracker: MessageTracker, options: BenchOptions): Promise<StepFigures[]> {
  const steps = await stepped(
    'throughput',
    subject,
    tracker,
    options.steps,
    options.maxSeconds,
    (rate, run, observed) => stepFigures(rate, options.maxSeconds, run, observed, STEP_MAX_P99_MS),
    stepLine,
  );
  if (steps.length > 0) {
    const best = sustained(steps);
    log(`sustained: ${best === undefined ? 'none of the steps was kept up' : perSecond(best)} (target ≥ ${perSecond(targets.sustainedPerSecond)})`);
  }
  return steps;
}

/** The CPU per delivered message at `--cpu-rate`: its throughput step's, else a step of its own. */
async function cpuPhase(subject: Subject, tracker: MessageTracker, options: BenchOptions, steps: readonly StepFigures[]): Promise<CpuPerMessage | undefined> {
  if (options.cpuRate === 0) return undefined;
  let step = steps.find((s) => s.offered === options.cpuRate);
  if (step) {
    log(`CPU per delivered message: from the ${perSecond(options.cpuRate)} throughput step`);
  } else {
    log(`CPU per delivered message: ${perSecond(options.cpuRate)} for ${options.maxSeconds} s (no throughput step at that rate ran)`);
    const { run, observed } = await sendObserved(tracker, subject, options.cpuRate, options.maxSeconds);
    step = stepFigures(options.cpuRate, options.maxSeconds, run, observed, STEP_MAX_P99_MS);
    log(`  ${stepLine(step)}`);
  }
  const cpu = cpuPerMessage(step);
  log(
    cpu === undefined
      ? '  not measured (no /proc, or nothing delivered)'
      : `  ${cpu.msPerMessage.toFixed(2)} ms per delivered message (${cpu.cores.toFixed(2)} cores at ${perSecond(step.deliveredRate)} delivered; target ≤ ${targets.cpuMsPerMessage} ms); ${formatCpu(step.observed.cpu)}`,
  );
  return cpu;
}

async function groupPhase(subject: Subject, tracker: MessageTracker, options: BenchOptions): Promise<GroupStepFigures[]> {
  const recipients = options.groupMembers - 1;
  const steps = await stepped(
    `group of ${options.groupMembers}`,
    subject,
    tracker,
    options.groupSteps,
    options.maxSeconds,
    (rate, run, observed) => groupStepFigures(rate, options.maxSeconds, recipients, run, observed),
    (step) =>
      `emitted ${perSecond(step.emittedRate)}, ${Math.round(step.deliveriesRate).toLocaleString('en-US')} copies received a second of ${(step.offered * recipients).toLocaleString('en-US')} offered, ` +
      `per copy p50 ${ms(step.perDelivery.p50)}, p99 ${ms(step.perDelivery.p99)}; at every member ${(step.deliveredInTime * 100).toFixed(0)} % within the step + 5 s, not at every member ${step.lost}`,
  );
  const best = sustained(steps);
  log(
    `group: ${best === undefined ? 'none of the steps was kept up' : `${(best * recipients).toLocaleString('en-US')} deliveries/s kept up (${perSecond(best)} × ${recipients})`} ` +
      `(target ≥ ${targets.groupDeliveriesPerSecond.toLocaleString('en-US')})`,
  );
  return steps;
}

/** A reference through the phases it shares with ours, then stopped with its clients. */
async function measureReference(
  kind: ReferenceKind,
  infrastructure: RunningInfrastructure,
  options: BenchOptions,
  runId: string,
  cleanup: Cleanup,
): Promise<SubjectFigures> {
  const reference = await startReference(kind, infrastructure.endpoints.mongoUrl, `bench_reference_${runId}`, cleanup);
  log(`reference: ${referenceNames[kind]} (pid ${reference.pid}) on ${reference.url}; setting up ${options.pairs} conversations`);
  const clients = ChatClients.ofReference(reference.url);
  cleanup.add(`the sockets on the ${kind} reference`, async () => clients.close());
  try {
    const tracker = new MessageTracker(`bench-${runId}-${kind}`, await clients.pairs(options.pairs, runId));
    const dataDir = infrastructure.localDataDir;
    const cpu = new CpuMeter(() => ({
      bench: [process.pid],
      [kind]: [reference.pid],
      // The peer's inserts are FerretDB's work as much as its own.
      ...(kind === 'peer' && dataDir !== undefined ? { ferretdb: localServerPids(dataDir).ferretdb ?? [] } : {}),
    }));
    const subject: Subject = { probe: new PhaseProbe(cpu, undefined), caughtUp: async () => undefined };
    await warmUp(tracker, options);
    const idle = options.idleSeconds > 0 ? await idlePhase(subject, options.idleSeconds, clients.connected) : undefined;
    const latency = await latencyPhase(subject, tracker, options, options.pairs);
    const steps = await throughputPhase(subject, tracker, options);
    return { latency, steps, cpu: await cpuPhase(subject, tracker, options, steps), idle };
  } finally {
    clients.close();
    await reference.stop();
  }
}

function describeFailures(figures: DeliveryFigures): string {
  const parts = [...figures.failures].map(([message, count]) => `${count} × ${message}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function describeInfrastructure(chat: ChatUnderTest): string {
  const sources = Object.entries(chat.infrastructure.sources).filter(([, source]) => source !== 'absent');
  if (sources.every(([, source]) => source === 'local')) {
    return 'Kafka, PostgreSQL (event store), FerretDB (read models) and Redis as local processes with durable settings';
  }
  return `servers: ${sources.map(([dependency, source]) => `${dependency} ${source}`).join(', ')}`;
}

/** How busy the machine is before anything starts: other work that will share it with the run. */
async function backgroundLoad(): Promise<number | undefined> {
  const meter = new CpuMeter(() => ({}));
  const start = meter.snapshot();
  await sleep(2_000);
  return meter.since(start)?.machine;
}

/** Every socket of our phases, connected and joined, and a tracker listening on each set. */
async function connectClients(chat: ChatUnderTest, options: BenchOptions, runId: string, cleanup: Cleanup) {
  log(
    `system up: gateway on ${chat.gatewayUrl}; setting up ${options.pairs} + ${options.fewPairs} conversations with a socket per participant` +
      `${options.groupMembers > 0 ? ` and a group of ${options.groupMembers}` : ''}`,
  );
  const clients = ChatClients.ofSystem(chat.gatewayUrl, loadGatewayConfig(process.env));
  cleanup.add('the client sockets', async () => clients.close());
  const tracker = new MessageTracker(`bench-${runId}`, await clients.pairs(options.pairs, runId));
  const few = options.fewPairs > 0 ? new MessageTracker(`bench-${runId}-few`, await clients.pairs(options.fewPairs, `${runId}-few`)) : undefined;
  const group =
    options.groupMembers > 0 && options.groupSteps.length > 0
      ? new MessageTracker(`bench-${runId}-group`, await clients.group(options.groupMembers, `bench ${runId} group`))
      : undefined;
  return { clients, tracker, few, group };
}

async function run(options: BenchOptions, cleanup: Cleanup, argv: readonly string[]): Promise<void> {
  const startedAt = new Date();
  const runId = randomUUID().slice(0, 8);
  const backgroundCpu = await backgroundLoad();
  const infrastructure = await startBenchInfrastructure(cleanup, log);
  const references = new Map<ReferenceKind, SubjectFigures>();
  for (const kind of options.references) references.set(kind, await measureReference(kind, infrastructure, options, runId, cleanup));

  const chat = await startChat(infrastructure, cleanup, log);
  const { clients, tracker, few, group } = await connectClients(chat, options, runId, cleanup);
  const subject = chatSubject(chat);
  const mark = outputMark(chat.services);

  await warmUp(tracker, options);
  const idle = options.idleSeconds > 0 ? await idlePhase(subject, options.idleSeconds, clients.connected) : undefined;
  const latency = await latencyPhase(subject, tracker, options, options.pairs);
  const fewLatency = few ? await latencyPhase(subject, few, options, options.fewPairs) : undefined;
  const hops = options.hopSeconds > 0 ? await hopPhase(tracker, chat, runId, options, cleanup) : undefined;
  const steps = await throughputPhase(subject, tracker, options);
  const cpu = await cpuPhase(subject, tracker, options, steps);
  const groupSteps = group ? await groupPhase(subject, group, options) : [];

  const results: BenchResults = {
    options,
    command: commandLine(argv, process.env),
    startedAt,
    infrastructure: describeInfrastructure(chat),
    backgroundCpu,
    ours: { latency, steps, cpu, idle },
    fewLatency,
    hops,
    group: groupSteps,
    references,
    complaints: serviceComplaints(chat.services, mark),
    disconnects: clients.disconnects,
  };
  const section = markdown(results);
  console.log(`\n${section}\n`);
  for (const row of targetRows(results)) {
    if (row.met !== undefined) log(`${row.met ? 'met   ' : 'missed'} ${row.measure}: ${row.result} (target ${row.target})`);
  }
  if (options.write) {
    record(join(root, 'docs', 'benchmarks.md'), section);
    log('recorded in docs/benchmarks.md');
  } else {
    log('--no-write: docs/benchmarks.md left as it was');
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options: BenchOptions;
  try {
    const parsed = parseOptions(argv, process.env);
    if (parsed === 'help') {
      console.log(usage);
      return 0;
    }
    options = parsed;
    checkSpread(options, loadGatewayConfig(process.env).socketEventsPerSecond);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    console.error(`${err.message}\n${usage}`);
    return 2;
  }
  const cleanup = new Cleanup(log);
  cleanup.stopOnSignals();
  try {
    await run(options, cleanup, argv);
    return 0;
  } finally {
    log('stopping the services and servers');
    await cleanup.run();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[bench] failed:', err);
    process.exit(1);
  },
);
