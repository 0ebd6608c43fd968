import { recordBenchmarkSection } from '@chat/runtime';
import { cpus, totalmem } from 'node:os';
import {
  type DeliveryFigures,
  type GroupStepFigures,
  STEP_GRACE_MS,
  STEP_MAX_P99_MS,
  STEP_MIN_DELIVERED,
  type StepFigures,
  type SubjectFigures,
} from './figures';
import type { CpuShare } from './cpu';
import type { HopFigures, HopRow } from './hop-taps';
import { LOSS_TIMEOUT_MS } from './load';
import type { BenchOptions, ReferenceKind } from './options';
import type { Observations } from './probe';
import { referenceNames } from './references';
import { type Summary, ms, percent, perSecond } from './stats';

/** The targets the figures are held against. */
export const targets = {
  p50Ms: 10,
  p99Ms: 40,
  confirmationP50Ms: 8,
  sustainedPerSecond: 3_000,
  groupDeliveriesPerSecond: 20_000,
  cpuMsPerMessage: 0.7,
  idleCores: 0.03,
} as const;

export interface BenchResults {
  readonly options: BenchOptions;
  readonly command: string;
  readonly startedAt: Date;
  readonly infrastructure: string;
  /** Busy share of the machine just before anything started: other work sharing it. */
  readonly backgroundCpu: number | undefined;
  /** Ours, on the phases the references run too. */
  readonly ours: SubjectFigures;
  /** The latency phase again over `fewPairs` conversations. */
  readonly fewLatency: DeliveryFigures | undefined;
  readonly hops: HopFigures | undefined;
  readonly group: readonly GroupStepFigures[];
  readonly references: ReadonlyMap<ReferenceKind, SubjectFigures>;
  readonly complaints: readonly { service: string; line: string; count: number }[];
  readonly disconnects: ReadonlyMap<string, number>;
}

/** One measure held against its target; `met` undefined for a measure shown without one. */
export interface TargetRow {
  readonly measure: string;
  readonly target: string;
  readonly result: string;
  readonly met: boolean | undefined;
}

export function sustained(steps: readonly StepFigures[]): number | undefined {
  return steps.filter((s) => s.keptUp).at(-1)?.offered;
}

const verdict = (met: boolean | undefined): string => (met === undefined ? '' : met ? 'met' : 'missed');

export function latencyMet(latency: DeliveryFigures): boolean {
  return latency.delivery.p50 <= targets.p50Ms && latency.delivery.p99 <= targets.p99Ms && latency.lost === 0;
}

export function summaryLine(s: Summary): string {
  return `p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`;
}

export function cpuCell({ cpu }: { readonly cpu: CpuShare | undefined }): string {
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

const count = (value: number): string => value.toLocaleString('en-US');
const cores = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(3));
const cpuMs = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)} ms`);

function latencyTargetRows(latency: DeliveryFigures, rate: number, seconds: number, conversations: number): TargetRow[] {
  return [
    {
      measure: `\`new:message\` at the recipient, ${rate} msg/s for ${seconds} s (${latency.sent} messages over ${conversations} conversations)`,
      target: `p50 ≤ ${targets.p50Ms} ms, p99 ≤ ${targets.p99Ms} ms`,
      result: `${summaryLine(latency.delivery)}; lost ${latency.lost}`,
      met: latencyMet(latency),
    },
    {
      measure: `\`message:sent\` at the sender, same messages`,
      target: `p50 ≤ ${targets.confirmationP50Ms} ms`,
      result: `${summaryLine(latency.confirmation)}; missing ${latency.unconfirmed}`,
      met: latency.confirmation.p50 <= targets.confirmationP50Ms,
    },
  ];
}

function groupTargetRow(group: readonly GroupStepFigures[], options: BenchOptions): TargetRow {
  const best = group.filter((s) => s.keptUp).at(-1);
  const offered = best === undefined ? 0 : best.offered * best.recipients;
  return {
    measure: `\`new:message\` copies in one group of ${options.groupMembers} members, all online (highest step kept up for ${options.maxSeconds} s: ≥ ${STEP_MIN_DELIVERED * 100} % of its messages at every other member within the step + ${STEP_GRACE_MS / 1000} s)`,
    target: `≥ ${count(targets.groupDeliveriesPerSecond)} deliveries/s`,
    result:
      best === undefined
        ? 'none of the steps'
        : `${count(offered)} deliveries/s (${perSecond(best.offered)} × ${best.recipients} members; received ${count(Math.round(best.deliveriesRate))}/s); per copy ${summaryLine(best.perDelivery)}`,
    met: offered >= targets.groupDeliveriesPerSecond,
  };
}

/** Every measure of the run with its target, in the order the report shows them. */
export function targetRows(results: BenchResults): TargetRow[] {
  const { options, ours, fewLatency } = results;
  const rows = [
    ...latencyTargetRows(ours.latency, options.rate, options.rateSeconds, options.pairs),
    {
      measure: 'acknowledgement of `send:message` (CommandAccepted back at the gateway), same messages',
      target: '',
      result: summaryLine(ours.latency.acknowledgement),
      met: undefined,
    },
    ...(fewLatency ? latencyTargetRows(fewLatency, options.rate, options.rateSeconds, options.fewPairs) : []),
  ];
  if (ours.steps.length > 0) {
    const stated = sustained(ours.steps);
    rows.push({
      measure: `sustained throughput (highest step kept up for ${options.maxSeconds} s with p99 < ${STEP_MAX_P99_MS} ms)`,
      target: `≥ ${count(targets.sustainedPerSecond)} msg/s`,
      result: stated === undefined ? 'none of the steps' : perSecond(stated),
      met: (stated ?? 0) >= targets.sustainedPerSecond,
    });
  }
  if (results.group.length > 0) rows.push(groupTargetRow(results.group, options));
  if (options.cpuRate > 0) {
    const { cpu } = ours;
    rows.push({
      measure: `CPU per delivered message at ${perSecond(options.cpuRate)}, every process of the system together (services and servers, not the clients)`,
      target: `≤ ${targets.cpuMsPerMessage} ms`,
      result: cpu === undefined ? 'n/a' : `${cpuMs(cpu.msPerMessage)} (${cores(cpu.cores)} cores busy, ${perSecond(cpu.step.deliveredRate)} delivered)`,
      met: cpu !== undefined && cpu.msPerMessage <= targets.cpuMsPerMessage,
    });
  }
  if (ours.idle) {
    const { idle } = ours;
    rows.push({
      measure: `at rest: cores busy across every process of the system, ${idle.seconds} s with ${idle.sockets} sockets connected and silent`,
      target: `≤ ${targets.idleCores} cores`,
      result: `${cores(idle.cores)} cores`,
      met: idle.cores !== undefined && idle.cores <= targets.idleCores,
    });
  }
  return rows;
}

function targetTable(rows: readonly TargetRow[]): string[] {
  return ['| measure | target | result | |', '|---|---|---|---|', ...rows.map((r) => `| ${r.measure} | ${r.target} | ${r.result} | ${verdict(r.met)} |`)];
}

/**
 * What each comparison reads from a system's figures; NaN or undefined when it was not
 * measured. A ratio above 1 is more (time, CPU or messages) than the reference.
 */
const comparisons: readonly { measure: string; value: (f: SubjectFigures) => number | undefined; format: (value: number) => string }[] = [
  { measure: '`new:message` p50 (latency phase)', value: (f) => f.latency.delivery.p50, format: ms },
  { measure: '`new:message` p99 (latency phase)', value: (f) => f.latency.delivery.p99, format: ms },
  { measure: '`message:sent` p50 (latency phase)', value: (f) => f.latency.confirmation.p50, format: ms },
  { measure: `sustained throughput (p99 < ${STEP_MAX_P99_MS} ms)`, value: (f) => (f.steps.length > 0 ? (sustained(f.steps) ?? 0) : undefined), format: perSecond },
  { measure: 'CPU per delivered message', value: (f) => f.cpu?.msPerMessage, format: cpuMs },
  { measure: 'cores busy at rest', value: (f) => f.idle?.cores, format: cores },
];

function ratio(ours: number | undefined, reference: number | undefined): string {
  if (ours === undefined || reference === undefined || Number.isNaN(ours) || Number.isNaN(reference) || reference === 0) return 'n/a';
  const r = ours / reference;
  return `×${r.toFixed(r >= 10 ? 0 : r >= 1 ? 1 : 2)}`;
}

function referenceSection(results: BenchResults): string[] {
  const { references, options, ours } = results;
  if (references.size === 0) return [];
  const kinds = [...references.keys()];
  const cell = (f: SubjectFigures, c: (typeof comparisons)[number]): string => {
    const value = c.value(f);
    return value === undefined ? 'n/a' : c.format(value);
  };
  const lines = [
    '',
    `Against two references, each one process on loopback driven by the same clients through the same phases before our system started (warm-up, rest, latency at ${options.rate} msg/s over ${options.pairs} conversations, the same throughput steps and CPU rate): ` +
      'the bare Socket.IO relay is the floor (each `send:message` acknowledged, `message:sent` to the sender and `new:message` to the room); ' +
      'the peer of the seed’s shape inserts each message into a database of its own on the same FerretDB first. ' +
      'Their CPU is their process’s, and FerretDB’s for the peer. Ours ÷ reference: above 1, ours takes more time or CPU, or carries more messages.',
    '',
    `| measure | ours | ${kinds.map((kind) => `${referenceNames[kind]} | ours ÷ ${kind}`).join(' | ')} |`,
    `|---|---|${kinds.map(() => '---|---|').join('')}`,
    ...comparisons.map(
      (c) =>
        `| ${c.measure} | ${cell(ours, c)} | ${kinds.map((kind) => `${cell(references.get(kind) as SubjectFigures, c)} | ${ratio(c.value(ours), c.value(references.get(kind) as SubjectFigures))}`).join(' | ')} |`,
    ),
  ];
  for (const kind of kinds) {
    const figures = references.get(kind) as SubjectFigures;
    lines.push(
      '',
      `${referenceNames[kind]}: latency ${summaryLine(figures.latency.delivery)}, lost ${figures.latency.lost}; CPU at rest ${figures.idle ? cpuCell(figures.idle) : 'n/a'}` +
        `${figures.cpu ? `; at ${perSecond(figures.cpu.step.offered)} ${cpuCell(figures.cpu.step.observed)}` : ''}.`,
    );
    if (figures.steps.length > 0) lines.push('', ...stepRows(figures.steps));
  }
  return lines;
}

/** Cores per process at the CPU rate and at rest, and the former per delivered message. */
function processTable(ours: SubjectFigures, options: BenchOptions): string[] {
  const { cpu, idle } = ours;
  const busy = cpu?.step.observed.cpu;
  const rest = idle?.cpu;
  if (!busy && !rest) return [];
  const names = [...new Set([...Object.keys(busy?.processes ?? {}), ...Object.keys(rest?.processes ?? {})])].filter((name) => name !== 'bench');
  const row = (name: string, atRate: number | undefined, perMessage: number | undefined, atRest: number | undefined): string =>
    `| ${name} | ${cores(atRate)} | ${cpuMs(perMessage)} | ${cores(atRest)} |`;
  return [
    '',
    `CPU by process (cores; 1.000 = one core busy), at ${perSecond(options.cpuRate)}${cpu ? ` (${perSecond(cpu.step.deliveredRate)} delivered)` : ''} and at rest:`,
    '',
    `| process | at ${perSecond(options.cpuRate)} | per delivered message | at rest |`,
    '|---|---|---|---|',
    ...names.map((name) => row(name, busy?.processes[name], cpu?.byProcess[name], rest?.processes[name])),
    row('**the system** (all of the above)', cpu?.cores, cpu?.msPerMessage, idle?.cores),
    row('bench (the clients, not counted)', busy?.processes.bench, cpu?.byProcess.bench, rest?.processes.bench),
    row('anything else on the machine (not counted)', busy?.others, undefined, rest?.others),
  ];
}

function stepRows(steps: readonly StepFigures[]): string[] {
  return [
    '| offered | emitted | delivered | within step + 5 s | p50 | p99 | lost | kept up | CPU: machine; cores used | events per projection batch |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...steps.map(
      (s) =>
        `| ${perSecond(s.offered)} | ${perSecond(s.emittedRate)} | ${perSecond(s.deliveredRate)} | ${percent(s.deliveredInTime)} | ${ms(s.delivery.p50)} | ${ms(s.delivery.p99)} | ${s.lost} | ${keptUpCell(s)} | ${cpuCell(s.observed)} | ${batchCell(s.observed)} |`,
    ),
  ];
}

const keptUpCell = (s: StepFigures): string => (s.keptUp ? 'yes' : `no: ${s.shortfalls.join('; ')}`);

function groupSection(group: readonly GroupStepFigures[], options: BenchOptions): string[] {
  if (group.length === 0) return [];
  return [
    '',
    `One group of ${options.groupMembers} members, every one online with a socket of its own and each sending in turn; each step ${options.maxSeconds} s, stopping after the first that does not keep up ` +
      `(kept up: ≥ ${STEP_MIN_DELIVERED * 100} % of its messages at every other member within the step + ${STEP_GRACE_MS / 1000} s; no latency bound). A copy is one member’s \`new:message\`:`,
    '',
    '| offered | copies offered | emitted | copies received | at every member within step + 5 s | per copy p50 | per copy p99 | at the last member p99 | not at every member | kept up | CPU: machine; cores used |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...group.map(
      (s) =>
        `| ${perSecond(s.offered)} | ${count(s.offered * s.recipients)}/s | ${perSecond(s.emittedRate)} | ${count(Math.round(s.deliveriesRate))}/s | ${percent(s.deliveredInTime)} | ${ms(s.perDelivery.p50)} | ${ms(s.perDelivery.p99)} | ${ms(s.delivery.p99)} | ${s.lost} | ${keptUpCell(s)} | ${cpuCell(s.observed)} |`,
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
    `Latency phase: CPU ${cpuCell(results.ours.latency.observed)} (in cores, 1.00 = one core busy; "bench" is the client process, "anything else" other work on the machine); ` +
      `${batchCell(results.ours.latency.observed)} events per projection batch.`,
  );
  const drops = [...results.disconnects].map(([reason, count]) => `${count} × ${reason}`);
  if (drops.length > 0) lines.push(`Sockets dropped during the run: ${drops.join(', ')}.`);
  const complaints = results.complaints.slice(0, 5).map((c) => `${c.service}: ${c.count} × \`${c.line.replaceAll('`', "'")}\``);
  if (complaints.length > 0) lines.push(`Warnings and errors the services printed: ${complaints.join('; ')}.`);
  return lines;
}

/** The section of docs/benchmarks.md, as the run's figures make it. */
export function markdown(results: BenchResults): string {
  const { options, ours } = results;
  return [
    '## End to end: Socket.IO clients through gateway, Kafka, messaging, event store, projections and back',
    '',
    `Command: \`${results.command}\` (${results.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()}; ${results.infrastructure}, ` +
      'the services each in its own process as `npm start` runs them, one gateway, and the clients all on this one machine).',
    `Latency is from a sender's \`send:message\` emit to \`new:message\` at the recipient's socket (real socket.io-client websockets, one direct conversation per pair); lost = not received within ${LOSS_TIMEOUT_MS / 1000} s. ` +
      'Every phase starts once the read side has caught up with the one before; at rest is measured after the warm-up.',
    ...conditions(results),
    '',
    ...targetTable(targetRows(results)),
    ...processTable(ours, options),
    ...(ours.steps.length > 0
      ? [
          '',
          `Throughput, each step ${options.maxSeconds} s over ${options.pairs} conversations, stopping after the first step that does not keep up (kept up: ≥ ${STEP_MIN_DELIVERED * 100} % of the offered messages delivered within the step + ${STEP_GRACE_MS / 1000} s, and p99 < ${STEP_MAX_P99_MS} ms):`,
          '',
          ...stepRows(ours.steps),
        ]
      : []),
    ...groupSection(results.group, options),
    ...referenceSection(results),
    ...hopSection(results.hops, options),
  ].join('\n');
}

/** Rewrites this benchmark's section (between its markers), or adds it at the end of the file. */
export function record(file: string, section: string): void {
  recordBenchmarkSection({ begin: '<!-- gateway-bench:start -->', end: '<!-- gateway-bench:end -->' }, section, file);
}
