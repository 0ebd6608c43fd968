import { recordBenchmarkSection } from '@chat/runtime';
import { cpus, totalmem } from 'node:os';
import { type DeliveryFigures, STEP_GRACE_MS, STEP_MAX_P99_MS, STEP_MIN_DELIVERED, type StepFigures } from './figures';
import type { HopFigures, HopRow } from './hop-taps';
import { LOSS_TIMEOUT_MS } from './load';
import type { BenchOptions } from './options';
import type { Observations } from './probe';
import { type Summary, ms, percent, perSecond } from './stats';

/** The targets the figures are held against. */
export const targets = { p50Ms: 10, p99Ms: 40, sustainedPerSecond: 3_000 } as const;

export interface BenchResults {
  readonly options: BenchOptions;
  readonly command: string;
  readonly startedAt: Date;
  readonly infrastructure: string;
  /** Busy share of the machine just before anything started: other work sharing it. */
  readonly backgroundCpu: number | undefined;
  readonly latency: DeliveryFigures;
  readonly hops: HopFigures | undefined;
  readonly steps: readonly StepFigures[];
  readonly complaints: readonly { service: string; line: string; count: number }[];
  readonly disconnects: ReadonlyMap<string, number>;
}

export function sustained(steps: readonly StepFigures[]): number | undefined {
  return steps.filter((s) => s.keptUp).at(-1)?.offered;
}

const verdict = (met: boolean): string => (met ? 'met' : 'missed');

export function latencyMet(latency: DeliveryFigures): boolean {
  return latency.delivery.p50 <= targets.p50Ms && latency.delivery.p99 <= targets.p99Ms && latency.lost === 0;
}

export function summaryLine(s: Summary): string {
  return `p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`;
}

export function cpuCell({ cpu }: Observations): string {
  if (!cpu) return 'n/a';
  const cores = Object.entries(cpu.processes).map(([name, used]) => `${name} ${used.toFixed(2)}`);
  return `${percent(cpu.machine)} busy; ${cores.join(', ')}, anything else ${cpu.others.toFixed(2)}`;
}

/** Events per projection batch: about 1 while the worker keeps up, larger as a backlog builds. */
export function batchCell({ projections }: Observations): string {
  return projections && projections.batches > 0 ? (projections.events / projections.batches).toFixed(1) : 'n/a';
}

export function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} cores ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
}

function latencyRows(results: BenchResults): string[] {
  const { latency, options } = results;
  const stated = sustained(results.steps);
  const rows = [
    `| \`new:message\` at the recipient, ${options.rate} msg/s for ${options.rateSeconds} s (${latency.sent} messages over ${options.pairs} conversations) | p50 ≤ ${targets.p50Ms} ms, p99 ≤ ${targets.p99Ms} ms | ${summaryLine(latency.delivery)}; lost ${latency.lost} | ${verdict(latencyMet(latency))} |`,
    `| \`message:sent\` at the sender, same messages | | ${summaryLine(latency.confirmation)}; missing ${latency.unconfirmed} | |`,
    `| acknowledgement of \`send:message\` (CommandAccepted back at the gateway), same messages | | ${summaryLine(latency.acknowledgement)} | |`,
  ];
  if (results.steps.length > 0) {
    rows.push(
      `| sustained throughput (highest step kept up for ${options.maxSeconds} s) | ≥ ${targets.sustainedPerSecond.toLocaleString('en-US')} msg/s | ${stated === undefined ? 'none of the steps' : perSecond(stated)} | ${verdict((stated ?? 0) >= targets.sustainedPerSecond)} |`,
    );
  }
  return ['| measure | target | result | |', '|---|---|---|---|', ...rows];
}

function stepRows(steps: readonly StepFigures[]): string[] {
  return [
    '| offered | emitted | delivered | within step + 5 s | p50 | p99 | lost | kept up | CPU: machine; cores used | events per projection batch |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...steps.map(
      (s) =>
        `| ${perSecond(s.offered)} | ${perSecond(s.emittedRate)} | ${perSecond(s.deliveredRate)} | ${percent(s.deliveredInTime)} | ${ms(s.delivery.p50)} | ${ms(s.delivery.p99)} | ${s.lost} | ${s.keptUp ? 'yes' : `no: ${s.shortfalls.join('; ')}`} | ${cpuCell(s.observed)} | ${batchCell(s.observed)} |`,
    ),
  ];
}

function hopTable(rows: readonly HopRow[]): string[] {
  return ['| hop | what | p50 | p99 |', '|---|---|---|---|', ...rows.map((r) => `| ${r.hop} | ${r.what} | ${ms(r.summary.p50)} | ${ms(r.summary.p99)} |`)];
}

function hopSection(hops: HopFigures | undefined, options: BenchOptions): string[] {
  if (!hops) return [];
  return [
    '',
    `Where the time goes: ${options.rate} msg/s for ${options.hopSeconds} s with tap consumers on the three topics (${hops.sampled} messages followed through every hop${hops.incomplete > 0 ? `, ${hops.incomplete} left out: a tap missed them` : ''}). ` +
      'A tap reads each topic as a service does, so t1…t3 include its own fetch delay (last table); p1…p3 are the records’ producer timestamps (1 ms resolution). ' +
      'Percentiles of hops do not add up to those of the whole.',
    '',
    ...hopTable(hops.seen),
    '',
    ...hopTable(hops.stamped),
    '',
    ...hopTable(hops.handover),
  ];
}

function conditions(results: BenchResults): string[] {
  const lines: string[] = [];
  if (results.backgroundCpu !== undefined) {
    lines.push(`Before the run the machine was ${percent(results.backgroundCpu)} busy with other work.`);
  }
  lines.push(
    `Latency phase: CPU ${cpuCell(results.latency.observed)} (in cores, 1.00 = one core busy; "bench" is the client process, "anything else" other work on the machine); ` +
      `${batchCell(results.latency.observed)} events per projection batch.`,
  );
  const drops = [...results.disconnects].map(([reason, count]) => `${count} × ${reason}`);
  if (drops.length > 0) lines.push(`Sockets dropped during the run: ${drops.join(', ')}.`);
  const complaints = results.complaints.slice(0, 5).map((c) => `${c.service}: ${c.count} × \`${c.line.replaceAll('`', "'")}\``);
  if (complaints.length > 0) lines.push(`Warnings and errors the services printed: ${complaints.join('; ')}.`);
  return lines;
}

/** The section of docs/benchmarks.md, as the run's figures make it. */
export function markdown(results: BenchResults): string {
  const { options } = results;
  return [
    '## End to end: Socket.IO clients through gateway, Kafka, messaging, event store, projections and back',
    '',
    `Command: \`${results.command}\` (${results.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()}; ${results.infrastructure}, ` +
      'the services each in its own process as `npm start` runs them, one gateway, and the clients all on this one machine).',
    `Latency is from a sender's \`send:message\` emit to \`new:message\` at the recipient's socket (real socket.io-client websockets, one direct conversation per pair); lost = not received within ${LOSS_TIMEOUT_MS / 1000} s.`,
    ...conditions(results),
    '',
    ...latencyRows(results),
    ...(results.steps.length > 0
      ? [
          '',
          `Throughput, each step ${options.maxSeconds} s over ${options.pairs} conversations, stopping after the first step that does not keep up (kept up: ≥ ${STEP_MIN_DELIVERED * 100} % of the offered messages delivered within the step + ${STEP_GRACE_MS / 1000} s, and p99 < ${STEP_MAX_P99_MS / 1000} s):`,
          '',
          ...stepRows(results.steps),
        ]
      : []),
    ...hopSection(results.hops, options),
  ].join('\n');
}

/** Rewrites this benchmark's section (between its markers), or adds it at the end of the file. */
export function record(file: string, section: string): void {
  recordBenchmarkSection({ begin: '<!-- gateway-bench:start -->', end: '<!-- gateway-bench:end -->' }, section, file);
}
