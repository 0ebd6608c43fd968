import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadGatewayConfig } from '../config/gateway-config';
import { Cleanup } from './cleanup';
import { ChatClients } from './clients';
import { CpuMeter, localServerPids } from './cpu';
import { type DeliveryFigures, type StepFigures, deliveryFigures, stepFigures } from './figures';
import { type HopFigures, type HopRow, HopTaps, hopFigures } from './hop-taps';
import { MessageTracker, type SendingRun, sendAtRate, settle } from './load';
import { type BenchOptions, OptionsError, checkSpread, commandLine, parseOptions, usage } from './options';
import { PhaseProbe, formatObservations } from './probe';
import { latencyMet, markdown, record, summaryLine, sustained, targets } from './report';
import { ms, perSecond, sleep } from './stats';
import type { ServiceName } from '@chat/runtime/testing';
import { type ChatUnderTest, outputMark, projectionsCaughtUp, serviceComplaints, startChat } from './system';

/**
 * End-to-end benchmark of the chat backend, as a client sees it: real Socket.IO clients
 * against the whole system (gateway, messaging, projections, each its own process, on local
 * Kafka, PostgreSQL, FerretDB and Redis started for the run and stopped after it, also on an
 * error or Ctrl-C). Phases:
 *   1. latency: `send:message` at a fixed rate spread evenly over N conversations; emit →
 *      `new:message` at the recipient (p50/p90/p99/max, lost = not received within 10 s),
 *      and emit → `message:sent` at the sender;
 *   2. hop by hop: the same rate again with tap consumers on the commands, command-results and
 *      notifications topics, splitting the latency into gateway, messaging, projections and
 *      relay (kept out of phase 1, whose figures the taps' extra consumers would touch);
 *   3. throughput: offered rates stepped up until one step does not keep up; the highest one
 *      kept up is the sustained figure.
 * Prints the figures and rewrites its section of docs/benchmarks.md with them and the command.
 *
 * Run: npm run bench:gateway -- [options]; every option also as an environment variable:
 *   --rate N            BENCH_RATE            messages/s of the latency and hop phases (200)
 *   --rate-seconds N    BENCH_RATE_SECONDS    length of the latency phase in s (30)
 *   --hop-seconds N     BENCH_HOP_SECONDS     length of the hop-by-hop phase in s, 0 skips it (15)
 *   --steps A,B,…       BENCH_STEPS           offered rates of the throughput phase, "" skips it (500,1000,2000,3000,4000)
 *   --max-seconds N     BENCH_MAX_SECONDS     length of each throughput step in s (30)
 *   --warmup-seconds N  BENCH_WARMUP_SECONDS  unmeasured sending before the latency phase, in s (5)
 *   --pairs N           BENCH_PAIRS           conversations the load is spread over (100)
 *   --no-write          BENCH_NO_WRITE=1      print only; leave docs/benchmarks.md alone (for trial runs)
 * A short trial: npm run bench:gateway -- --rate-seconds 10 --hop-seconds 5 --max-seconds 10 --no-write
 */

const root = join(__dirname, '..', '..', '..', '..');
const log = (line: string): void => console.log(`[bench] ${line}`);

/**
 * Watches the CPU of this process (the clients), of each service and of each local server,
 * and the projection worker's batches.
 */
function phaseProbe(chat: ChatUnderTest): PhaseProbe {
  const pid = (service: ServiceName): number[] => {
    const found = chat.services.get(service)?.pid;
    return found === undefined ? [] : [found];
  };
  const dataDir = chat.infrastructure.localDataDir;
  const cpu = new CpuMeter(() => ({
    bench: [process.pid],
    gateway: pid('gateway'),
    messaging: pid('messaging'),
    projections: pid('projections'),
    ...(dataDir === undefined ? {} : localServerPids(dataDir)),
  }));
  return new PhaseProbe(cpu, chat.projectionsHealthUrl);
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
async function sendObserved(tracker: MessageTracker, probe: PhaseProbe, rate: number, seconds: number) {
  const start = await probe.begin();
  const run = await sendAtRate(tracker, rate, seconds);
  const observed = await probe.end(start);
  await settle(run);
  return { run, observed };
}

async function latencyPhase(tracker: MessageTracker, chat: ChatUnderTest, probe: PhaseProbe, options: BenchOptions): Promise<DeliveryFigures> {
  log(`latency: ${options.rate} msg/s for ${options.rateSeconds} s over ${options.pairs} conversations`);
  await readSideCaughtUp(chat);
  const { run, observed } = await sendObserved(tracker, probe, options.rate, options.rateSeconds);
  const figures = deliveryFigures(run, observed);
  log(`  new:message at the recipient  ${summaryLine(figures.delivery)}  (target p50 ≤ ${targets.p50Ms} ms, p99 ≤ ${targets.p99Ms} ms)`);
  log(`  lost (not received within 10 s): ${figures.lost} of ${figures.sent}; refused: ${describeFailures(figures)}`);
  log(`  message:sent at the sender     ${summaryLine(figures.confirmation)}  (missing ${figures.unconfirmed})`);
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

async function throughputPhase(tracker: MessageTracker, chat: ChatUnderTest, probe: PhaseProbe, options: BenchOptions): Promise<StepFigures[]> {
  const steps: StepFigures[] = [];
  for (const rate of options.steps) {
    log(`throughput: ${perSecond(rate)} offered for ${options.maxSeconds} s`);
    await readSideCaughtUp(chat);
    const { run, observed } = await sendObserved(tracker, probe, rate, options.maxSeconds);
    const step = stepFigures(rate, options.maxSeconds, run, observed);
    steps.push(step);
    log(
      `  emitted ${perSecond(step.emittedRate)}, delivered ${perSecond(step.deliveredRate)}, p50 ${ms(step.delivery.p50)}, ` +
        `p99 ${ms(step.delivery.p99)}, lost ${step.lost}: ${step.keptUp ? 'kept up' : `did not keep up (${step.shortfalls.join('; ')})`}`,
    );
    log(`  ${formatObservations(observed)}`);
    if (!step.keptUp) break;
  }
  const best = sustained(steps);
  log(`sustained: ${best === undefined ? 'none of the steps was kept up' : perSecond(best)} (target ≥ ${perSecond(targets.sustainedPerSecond)})`);
  return steps;
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

/** The pairs' sockets, connected and joined, and the tracker listening on them. */
async function connectClients(chat: ChatUnderTest, options: BenchOptions, runId: string, cleanup: Cleanup) {
  log(`system up: gateway on ${chat.gatewayUrl}; setting up ${options.pairs} conversations with a socket per participant`);
  const clients = new ChatClients(chat.gatewayUrl, loadGatewayConfig(process.env));
  cleanup.add('the client sockets', async () => clients.close());
  const tracker = new MessageTracker(`bench-${runId}`, await clients.pairs(options.pairs, runId));
  return { clients, tracker };
}

async function run(options: BenchOptions, cleanup: Cleanup, argv: readonly string[]): Promise<void> {
  const startedAt = new Date();
  const runId = randomUUID().slice(0, 8);
  const backgroundCpu = await backgroundLoad();
  const chat = await startChat(cleanup, log);
  const { clients, tracker } = await connectClients(chat, options, runId, cleanup);
  const probe = phaseProbe(chat);
  const mark = outputMark(chat.services);

  if (options.warmupSeconds > 0) {
    log(`warm-up: ${options.rate} msg/s for ${options.warmupSeconds} s (not measured)`);
    await settle(await sendAtRate(tracker, options.rate, options.warmupSeconds));
  }
  const latency = await latencyPhase(tracker, chat, probe, options);
  const hops = options.hopSeconds > 0 ? await hopPhase(tracker, chat, runId, options, cleanup) : undefined;
  const steps = options.steps.length > 0 ? await throughputPhase(tracker, chat, probe, options) : [];

  const section = markdown({
    options,
    command: commandLine(argv, process.env),
    startedAt,
    infrastructure: describeInfrastructure(chat),
    backgroundCpu,
    latency,
    hops,
    steps,
    complaints: serviceComplaints(chat.services, mark),
    disconnects: clients.disconnects,
  });
  console.log(`\n${section}\n`);
  log(`latency target ${latencyMet(latency) ? 'met' : 'missed'}; sustained ${sustained(steps) ?? 0} msg/s against ${targets.sustainedPerSecond}`);
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
