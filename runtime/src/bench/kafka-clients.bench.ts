import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Admin } from 'kafkajs';
import { parseBrokers } from '../infrastructure/endpoints';
import { type RunningInfrastructure, resolveInfrastructure } from '../infrastructure/resolve-infrastructure';
import { createKafka, reliableProducerConfig } from '../kafka/kafka';
import { HOP_PARTITIONS, type HopClient, type HopVariant, KAFKAJS_OURS_LABEL, NO_KAFKA_LABEL, type PlatformaticKafka, hopVariants } from './kafka-hop-clients';
import { backgroundBusy, cpuBetween, kafkaBrokerPid, readCpu } from './proc-cpu';
import { recordBenchmarkSection } from './record-section';

/**
 * One Kafka hop, kafkajs against @platformatic/kafka (issue 13): the time from calling send to
 * the consumer's handler seeing the record, with the CPU it costs the client process and the
 * broker and the requests it takes, at fixed rates and at rest. Each variant gets a fresh
 * topic of 8 partitions and a fresh consumer group per phase; the variants of a phase run
 * one after another, alternating the clients, so that the machine's noise hits them all.
 *
 * Run: npm run bench:kafka [-- --rounds 2 --seconds 20 --rates 200,1000,3000 --idle-seconds 20 --no-write]
 * (a local Kafka broker on loopback, started and stopped by the bench; KAFKA_BROKERS uses another).
 */

const log = (line: string): void => console.log(`[bench:kafka] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface BenchOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly idleSeconds: number;
  readonly rates: readonly number[];
  readonly warmupSeconds: number;
  readonly write: boolean;
}

const usage = `usage: npm run bench:kafka -- [--rounds N] [--seconds S] [--rates R1,R2,..] [--idle-seconds S] [--warmup-seconds S] [--no-write]`;

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '20' },
      rates: { type: 'string', default: '200,1000,3000' },
      'idle-seconds': { type: 'string', default: '20' },
      'warmup-seconds': { type: 'string', default: '2' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${text}'\n${usage}`);
    return value;
  };
  return {
    rounds: Math.round(positive('rounds', values.rounds)),
    seconds: positive('seconds', values.seconds),
    idleSeconds: positive('idle-seconds', values['idle-seconds']),
    rates: values.rates.split(',').map((rate) => positive('rates', rate.trim())),
    warmupSeconds: positive('warmup-seconds', values['warmup-seconds']),
    write: !values['no-write'],
  };
}

type Scenario = { readonly kind: 'rate'; readonly rate: number } | { readonly kind: 'idle' };

const scenarioName = (scenario: Scenario): string => (scenario.kind === 'idle' ? 'idle' : `${scenario.rate}/s`);

/** The body of one record: ~300 bytes of JSON, a chat message's shape, with its send time. */
interface HopRecordBody {
  readonly seq: number;
  /** performance.now() when send was called: producer and consumer share this process's clock. */
  readonly sentAt: number;
}

const RECORD_BYTES = 300;
const KEYS = 100;

class RecordMaker {
  private readonly ids = Array.from({ length: KEYS }, () => randomBytes(12).toString('hex'));
  private readonly text: string;

  constructor() {
    const bare = this.body(0, 0, '').length;
    // Room for seq and sentAt growing to their widest (7 digits, a 6-decimal fraction).
    this.text = 'x'.repeat(Math.max(0, RECORD_BYTES - bare - 20));
  }

  make(seq: number): { key: string; value: string; headers: Record<string, string> } {
    const key = this.ids[seq % KEYS] as string;
    return { key, value: this.body(seq, performance.now(), this.text), headers: { 'x-type': 'SendMessage', 'x-version': '1', 'x-correlation-id': randomUUID() } };
  }

  private body(seq: number, sentAt: number, text: string): string {
    const conversationId = this.ids[seq % KEYS] as string;
    return JSON.stringify({ seq, sentAt, type: 'SendMessage', conversationId, messageId: randomBytes(12).toString('hex'), senderId: conversationId, text });
  }
}

/** Each measured record's latency once (a redelivery is not counted again), and whether anything at all arrived. */
class HopRecorder {
  anyArrived = false;
  private from = Number.POSITIVE_INFINITY;
  private seen = new Uint8Array(0);
  private samples = new Float64Array(0);
  private count = 0;

  measure(fromSeq: number, records: number): void {
    this.from = fromSeq;
    this.seen = new Uint8Array(records);
    this.samples = new Float64Array(records);
    this.count = 0;
  }

  readonly onValue = (value: Buffer): void => {
    const arrivedAt = performance.now();
    const { seq, sentAt } = JSON.parse(value.toString()) as HopRecordBody;
    this.anyArrived = true;
    const index = seq - this.from;
    if (index < 0 || index >= this.seen.length || this.seen[index] === 1) return;
    this.seen[index] = 1;
    this.samples[this.count++] = arrivedAt - sentAt;
  };

  get delivered(): number {
    return this.count;
  }

  latencies(): Float64Array {
    return this.samples.slice(0, this.count);
  }
}

/** Sends with their outcome counted, never awaited one by one: a hop's sender does not wait for the previous record. */
class Sender {
  private nextSeq = 0;
  private pending = 0;
  failed = 0;
  private readonly maker = new RecordMaker();

  constructor(private readonly client: HopClient) {}

  get seq(): number {
    return this.nextSeq;
  }

  sendOne(): void {
    const { key, value, headers } = this.maker.make(this.nextSeq++);
    this.pending++;
    this.client.send(key, value, headers).then(
      () => this.pending--,
      () => {
        this.pending--;
        this.failed++;
      },
    );
  }

  /** `rate` records a second for `seconds`, each sent at its own time (timers permitting: several share a late tick). */
  async atRate(rate: number, seconds: number): Promise<void> {
    const total = Math.round(rate * seconds);
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      for (; sent < due; sent++) this.sendOne();
      await sleep(Math.max(0, start + (sent * 1000) / rate - performance.now()));
    }
  }

  async settled(timeoutMs: number): Promise<void> {
    await waitFor(() => this.pending === 0, timeoutMs);
  }
}

interface PhaseResult {
  readonly variant: string;
  readonly scenario: Scenario;
  readonly round: number;
  readonly offered: number;
  readonly failed: number;
  readonly latencies: Float64Array;
  /** Delivered within KEPT_UP_MS of the last send. */
  readonly deliveredSoon: number;
  readonly windowSeconds: number;
  readonly benchCpuMs: number;
  readonly brokerCores: number | undefined;
  readonly machineBusy: number | undefined;
  readonly requests: ReadonlyMap<string, number>;
}

interface Run {
  readonly brokers: readonly string[];
  readonly admin: Admin;
  readonly brokerPid: number | undefined;
  readonly runId: string;
  readonly options: BenchOptions;
}

/** Delivered this soon after the last send: the rate was kept up with. */
const KEPT_UP_MS = 2_000;
/** How much longer the stragglers are waited for (they count as delivered, not as kept up with). */
const DRAIN_MS = 10_000;

/** Whether `condition` held within `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * One variant through one scenario on a topic of its own. Topics are left in place until the
 * broker goes: a deleted topic's files are removed a minute later, on another phase's time.
 */
async function runPhase(run: Run, variant: HopVariant, scenario: Scenario, round: number, seconds: number): Promise<PhaseResult> {
  const slug = variant.label.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '').toLowerCase();
  const topic = `hop-${run.runId}-${round}-${scenario.kind === 'idle' ? 'idle' : scenario.rate}-${slug}`;
  await run.admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: HOP_PARTITIONS, replicationFactor: 1 }] });
  const client = variant.create(run.brokers, `bench-${slug}`);
  const recorder = new HopRecorder();
  const sender = new Sender(client);
  try {
    await client.start(topic, `${topic}-group`, recorder.onValue);
    // Records are sent until one comes back: the group has its partitions and fetches them.
    const probing = setInterval(() => sender.sendOne(), 100);
    const ready = await waitFor(() => recorder.anyArrived, 60_000);
    clearInterval(probing);
    if (!ready) throw new Error(`${variant.label}: no record came back within 60 s`);
    // Warm-up at the phase's rate (at rest: a light one) on the same connections, not measured.
    await sender.atRate(scenario.kind === 'rate' ? scenario.rate : 50, run.options.warmupSeconds);
    await sender.settled(5_000);
    // At rest, the warm-up's offset commits (1 s timers) are over before the window opens.
    if (scenario.kind === 'idle') await sleep(3_000);

    const total = scenario.kind === 'rate' ? Math.round(scenario.rate * seconds) : 0;
    recorder.measure(sender.seq, total);
    const requestsBefore = client.requests.snapshot();
    const cpuBefore = readCpu(run.brokerPid);
    const benchBefore = process.cpuUsage();
    const started = performance.now();
    let deliveredSoon = 0;
    if (scenario.kind === 'rate') {
      await sender.atRate(scenario.rate, seconds);
      await waitFor(() => recorder.delivered >= total, KEPT_UP_MS);
      deliveredSoon = recorder.delivered;
      await waitFor(() => recorder.delivered >= total, DRAIN_MS);
    } else {
      await sleep(seconds * 1000);
    }
    const windowSeconds = (performance.now() - started) / 1000;
    const bench = process.cpuUsage(benchBefore);
    const cpu = cpuBetween(cpuBefore, readCpu(run.brokerPid));
    const requestsAfter = client.requests.snapshot();
    await sender.settled(5_000);
    return {
      variant: variant.label,
      scenario,
      round,
      offered: total,
      failed: sender.failed,
      latencies: recorder.latencies(),
      deliveredSoon,
      windowSeconds,
      benchCpuMs: (bench.user + bench.system) / 1000,
      brokerCores: cpu?.processCores,
      machineBusy: cpu?.machineBusy,
      requests: new Map([...requestsAfter].map(([api, count]) => [api, count - (requestsBefore.get(api) ?? 0)])),
    };
  } finally {
    await client.stop();
  }
}

/* ---------- figures ---------- */

interface Pooled {
  readonly variant: string;
  readonly library: HopVariant['library'];
  readonly rounds: readonly PhaseResult[];
  readonly sorted: Float64Array;
  readonly offered: number;
  readonly delivered: number;
  readonly deliveredSoon: number;
  readonly failed: number;
  readonly windowSeconds: number;
  readonly benchCpuMs: number;
  readonly brokerCpuMs: number | undefined;
  readonly machineBusy: number | undefined;
  readonly requests: ReadonlyMap<string, number>;
}

function pool(variant: HopVariant, results: readonly PhaseResult[]): Pooled {
  if (results.length === 0) throw new Error(`no results to pool for ${variant.label}`);
  const all = new Float64Array(results.reduce((n, r) => n + r.latencies.length, 0));
  let at = 0;
  for (const r of results) {
    all.set(r.latencies, at);
    at += r.latencies.length;
  }
  const windowSeconds = results.reduce((s, r) => s + r.windowSeconds, 0);
  const brokerKnown = results.every((r) => r.brokerCores !== undefined);
  const busyKnown = results.every((r) => r.machineBusy !== undefined);
  const requests = new Map<string, number>();
  for (const r of results) for (const [api, count] of r.requests) requests.set(api, (requests.get(api) ?? 0) + count);
  return {
    variant: variant.label,
    library: variant.library,
    rounds: results,
    sorted: all.sort(),
    offered: results.reduce((s, r) => s + r.offered, 0),
    delivered: all.length,
    deliveredSoon: results.reduce((s, r) => s + r.deliveredSoon, 0),
    failed: results.reduce((s, r) => s + r.failed, 0),
    windowSeconds,
    benchCpuMs: results.reduce((s, r) => s + r.benchCpuMs, 0),
    brokerCpuMs: brokerKnown ? results.reduce((s, r) => s + (r.brokerCores ?? 0) * r.windowSeconds * 1000, 0) : undefined,
    machineBusy: busyKnown ? results.reduce((s, r) => s + (r.machineBusy ?? 0) * r.windowSeconds, 0) / windowSeconds : undefined,
    requests,
  };
}

const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const ms = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ms`);
const cpuMs = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(3)} ms`);
const cores = (value: number | undefined): string => (value === undefined ? 'n/a' : value.toFixed(3));
const percent = (value: number | undefined): string => (value === undefined ? 'n/a' : `${(value * 100).toFixed(0)} %`);
const ratio = (ours: number | undefined, theirs: number | undefined): string =>
  ours === undefined || theirs === undefined || !(theirs > 0) || Number.isNaN(ours) ? 'n/a' : `×${(ours / theirs).toFixed(2)}`;

const API_PRODUCE = 'Produce';
const API_FETCH = 'Fetch';

function requestRates(p: Pooled): { produce: number; fetch: number; other: number; otherApis: string } {
  const produce = p.requests.get(API_PRODUCE) ?? 0;
  const fetch = p.requests.get(API_FETCH) ?? 0;
  const others = [...p.requests].filter(([api]) => api !== API_PRODUCE && api !== API_FETCH && (p.requests.get(api) ?? 0) > 0);
  const other = others.reduce((s, [, n]) => s + n, 0);
  const otherApis = others
    .sort((a, b) => b[1] - a[1])
    .map(([api, n]) => `${api} ${(n / p.windowSeconds).toFixed(2)}`)
    .join(', ');
  return { produce: produce / p.windowSeconds, fetch: fetch / p.windowSeconds, other: other / p.windowSeconds, otherApis };
}

interface RateFigures {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly benchPerRecord: number;
  readonly brokerPerRecord: number | undefined;
  readonly produce: number;
  readonly fetch: number;
  readonly other: number;
  readonly recordsPerProduce: number;
}

function rateFigures(p: Pooled): RateFigures {
  const { produce, fetch, other } = requestRates(p);
  return {
    p50: quantile(p.sorted, 0.5),
    p90: quantile(p.sorted, 0.9),
    p99: quantile(p.sorted, 0.99),
    max: p.sorted[p.sorted.length - 1] ?? Number.NaN,
    benchPerRecord: p.benchCpuMs / p.delivered,
    brokerPerRecord: p.brokerCpuMs === undefined ? undefined : p.brokerCpuMs / p.delivered,
    produce,
    fetch,
    other,
    recordsPerProduce: (p.delivered / p.windowSeconds) / produce,
  };
}

function rateTable(scenario: Scenario & { kind: 'rate' }, pooled: readonly Pooled[], seconds: number): string {
  const lines = [
    `**${scenario.rate.toLocaleString('en-US')} records/s for ${seconds} s** (each round ${Math.round(scenario.rate * seconds).toLocaleString('en-US')} records; latency from calling send to the consumer's handler)`,
    '',
    '| client | delivered (within 2 s of the last send) | p50 | p90 | p99 | max | p50 by round | bench CPU per record | of which the client | broker CPU per record | Produce req/s (records per request) | Fetch req/s | other req/s | machine busy |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const figures = pooled.map((p) => ({ p, f: rateFigures(p) }));
  const alone = figures.find(({ p }) => p.variant === NO_KAFKA_LABEL)?.f.benchPerRecord;
  for (const { p, f } of figures) {
    const client = p.variant === NO_KAFKA_LABEL ? '' : cpuMs(alone === undefined ? undefined : f.benchPerRecord - alone);
    const delivered = `${((p.delivered / p.offered) * 100).toFixed(1)} % (${((p.deliveredSoon / p.offered) * 100).toFixed(1)} %)${p.failed > 0 ? `, ${p.failed} sends failed` : ''}`;
    const byRound = p.rounds.map((r) => ms(quantile(new Float64Array(r.latencies).sort(), 0.5))).join(' / ');
    lines.push(
      `| ${p.variant} | ${delivered} | ${ms(f.p50)} | ${ms(f.p90)} | ${ms(f.p99)} | ${ms(f.max)} | ${byRound} | ${cpuMs(f.benchPerRecord)} | ${client} | ${cpuMs(f.brokerPerRecord)} | ${f.produce.toFixed(0)}${f.produce > 0 ? ` (${f.recordsPerProduce.toFixed(1)})` : ''} | ${f.fetch.toFixed(0)} | ${f.other.toFixed(1)} | ${percent(p.machineBusy)} |`,
    );
  }
  const clientOnly = (f: RateFigures): number | undefined => (alone === undefined ? undefined : f.benchPerRecord - alone);
  lines.push(...ratioRows(figures, (a, b) =>
    `| ${ratio(a.p50, b.p50)} | ${ratio(a.p90, b.p90)} | ${ratio(a.p99, b.p99)} | ${ratio(a.max, b.max)} |  | ${ratio(a.benchPerRecord, b.benchPerRecord)} | ${ratio(clientOnly(a), clientOnly(b))} | ${ratio(a.brokerPerRecord, b.brokerPerRecord)} | ${ratio(a.produce, b.produce)} | ${ratio(a.fetch, b.fetch)} | ${ratio(a.other, b.other)} |  |`,
  ));
  return lines.join('\n');
}

interface IdleFigures {
  readonly benchCores: number;
  readonly brokerCores: number | undefined;
  readonly requests: number;
}

function idleTable(pooled: readonly Pooled[], seconds: number): string {
  const lines = [
    `**At rest: ${seconds} s with the producer and the consumer connected and nothing sent**`,
    '',
    '| client | bench process (cores) | broker (cores) | requests/s | of which | machine busy |',
    '|---|---|---|---|---|---|',
  ];
  const figures = pooled.map((p) => {
    const rates = requestRates(p);
    const f: IdleFigures = {
      benchCores: p.benchCpuMs / 1000 / p.windowSeconds,
      brokerCores: p.brokerCpuMs === undefined ? undefined : p.brokerCpuMs / 1000 / p.windowSeconds,
      requests: rates.produce + rates.fetch + rates.other,
    };
    const apis = [...p.requests].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).map(([api, n]) => `${api} ${(n / p.windowSeconds).toFixed(2)}`).join(', ');
    lines.push(`| ${p.variant} | ${cores(f.benchCores)} | ${cores(f.brokerCores)} | ${f.requests.toFixed(2)} | ${apis || 'none'} | ${percent(p.machineBusy)} |`);
    return { p, f };
  });
  lines.push(...ratioRows(figures, (a, b) => `| ${ratio(a.benchCores, b.benchCores)} | ${ratio(a.brokerCores, b.brokerCores)} | ${ratio(a.requests, b.requests)} |  |  |`));
  return lines.join('\n');
}

/** platformatic ÷ kafkajs, each platformatic variant against kafkajs as we run it. */
function ratioRows<F>(figures: readonly { p: Pooled; f: F }[], cells: (a: F, b: F) => string): string[] {
  const ours = figures.find(({ p }) => p.variant === KAFKAJS_OURS_LABEL);
  if (!ours) return [];
  return figures.filter(({ p }) => p.library === 'platformatic').map(({ p, f }) => `| ${p.variant} ÷ ${KAFKAJS_OURS_LABEL} ${cells(f, ours.f)}`);
}

function phaseLine(r: PhaseResult): string {
  const sorted = new Float64Array(r.latencies).sort();
  const rest = r.scenario.kind === 'idle' ? `bench ${(r.benchCpuMs / 1000 / r.windowSeconds).toFixed(3)} cores, broker ${cores(r.brokerCores)} cores` : `delivered ${r.latencies.length}/${r.offered}, p50 ${ms(quantile(sorted, 0.5))}, p99 ${ms(quantile(sorted, 0.99))}, bench ${cpuMs(r.benchCpuMs / r.latencies.length)}/record, broker ${cpuMs(r.brokerCores === undefined ? undefined : (r.brokerCores * r.windowSeconds * 1000) / r.latencies.length)}/record`;
  const requests = [...r.requests].filter(([, n]) => n > 0).map(([api, n]) => `${api} ${n}`).join(' ');
  return `  round ${r.round} ${scenarioName(r.scenario)} ${r.variant}: ${rest}; machine ${percent(r.machineBusy)} busy; requests: ${requests}`;
}

function commandLine(argv: readonly string[]): string {
  return ['npm run bench:kafka', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}

function report(options: BenchOptions, argv: readonly string[], variants: readonly HopVariant[], results: readonly PhaseResult[], context: { busyBefore: number | undefined; kafka: string; platformaticVersion: string }): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const scenarios: Scenario[] = [...options.rates.map((rate): Scenario => ({ kind: 'rate', rate })), { kind: 'idle' }];
  const sections = scenarios.map((scenario) => {
    const pooled = variants.map((v) => pool(v, results.filter((r) => r.variant === v.label && scenarioName(r.scenario) === scenarioName(scenario))));
    return scenario.kind === 'idle' ? idleTable(pooled, options.idleSeconds) : rateTable(scenario, pooled, options.seconds);
  });
  return [
    '## One Kafka hop: kafkajs against @platformatic/kafka (issue 13)',
    '',
    `Command: \`${commandLine(argv)}\` (${date} UTC, ${cpus().length} cores ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; ${context.kafka}; kafkajs 2.2.4 with our idle-loop fix, @platformatic/kafka ${context.platformaticVersion}; the bench process runs both the producer and the consumer).`,
    `Each phase gets a fresh topic of ${HOP_PARTITIONS} partitions and a fresh consumer group; records are ~${RECORD_BYTES} bytes of JSON with 3 headers, keyed over ${KEYS} keys, each sent on its own at its time; a consumer is ready once a probe record came back, then ${options.warmupSeconds} s of warm-up at the phase's rate go unmeasured. ` +
      `${options.rounds} round${options.rounds > 1 ? 's' : ''}, the variants alternating kafkajs and platformatic within each phase, in reverse order every other round; figures pool the rounds. ` +
      `CPU per record is the process's CPU over the window (sending to the last delivery) divided by the records delivered, the client's share being the bench process's less that of the run without Kafka; broker CPU from /proc/<pid>/stat; machine busy is the share of all cores busy over the window, whoever used them (this bench and its broker included). Requests are counted by each client's instrumentation (kafkajs: the producer's and consumer's REQUEST events; platformatic: its \`plt:kafka:connections:api\` diagnostics channel).`,
    `Before the run the machine was ${percent(context.busyBefore)} busy with other work.`,
    '',
    'Variants (consumers: kafkajs `latencyConsumerConfig()` with our JsonTopicConsumer loop, 8 partitions consumed concurrently, offsets committed every 1 s; platformatic the same minBytes 1, maxWait 2 s, session 10 s, heartbeat 3 s, autocommit every 1 s, metadata max age 5 min as kafkajs\'s default):',
    '',
    ...variants.map((v) => `- **${v.label}**: ${v.settings}.`),
    '',
    ...sections.flatMap((section) => [section, '']),
  ]
    .join('\n')
    .trimEnd();
}

/* ---------- main ---------- */

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  const busyBefore = await backgroundBusy();
  log(`before the run the machine is ${percent(busyBefore)} busy with other work`);
  const platformatic: PlatformaticKafka = await import('@platformatic/kafka');
  const infra: RunningInfrastructure = await resolveInfrastructure({ profile: 'bench', dependencies: ['kafka'] });
  const stopOnSignal = (): void => {
    void infra.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const brokers = parseBrokers(infra.values.kafka ?? '');
    const brokerPid = infra.localDataDir === undefined ? undefined : kafkaBrokerPid(infra.localDataDir);
    log(`brokers ${brokers.join(',')}; broker pid ${brokerPid ?? 'unknown (its CPU is not measured)'}`);
    const admin = createKafka({ brokers, clientId: 'bench-kafka-admin' }).admin();
    await admin.connect();
    const variants = hopVariants(platformatic, reliableProducerConfig());
    const run: Run = { brokers, admin, brokerPid, runId: randomBytes(3).toString('hex'), options };
    const scenarios: Scenario[] = [...options.rates.map((rate): Scenario => ({ kind: 'rate', rate })), { kind: 'idle' }];
    const results: PhaseResult[] = [];
    try {
      // Not counted: the broker's JIT and its offsets topic (created at the first group's join) warm up on these.
      log('warm-up pass, not counted');
      for (const variant of variants) log(phaseLine(await runPhase(run, variant, scenarios[0] ?? { kind: 'idle' }, 0, 5)));
      for (let round = 1; round <= options.rounds; round++) {
        // Every other round in reverse: a drift over the run (the broker's JIT, other work) does not favour one client.
        const order = round % 2 === 1 ? variants : [...variants].reverse();
        for (const scenario of scenarios) {
          for (const variant of order) {
            const result = await runPhase(run, variant, scenario, round, scenario.kind === 'idle' ? options.idleSeconds : options.seconds);
            results.push(result);
            log(phaseLine(result));
          }
        }
      }
    } finally {
      await admin.disconnect();
    }
    const kafka = infra.sources.kafka === 'local' ? 'Kafka 3.9.1, one local broker (KRaft) with durable settings' : `Kafka from ${infra.sources.kafka}`;
    const markdown = report(options, argv, variants, results, { busyBefore, kafka, platformaticVersion: platformaticVersion() });
    console.log(`\n${markdown}\n`);
    if (options.write) {
      recordBenchmarkSection({ begin: '<!-- kafka-clients-bench:begin -->', end: '<!-- kafka-clients-bench:end -->' }, markdown);
      log('recorded in docs/benchmarks.md');
    } else {
      log('--no-write: docs/benchmarks.md left as it was');
    }
  } finally {
    await infra.stop();
  }
}

/** Its package.json is not among the package's exports: read from beside its entry point. */
function platformaticVersion(): string {
  try {
    const manifest = join(dirname(require.resolve('@platformatic/kafka')), '..', 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown version';
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('[bench:kafka] failed:', err);
    process.exit(1);
  },
);
