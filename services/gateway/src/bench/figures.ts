import { type CpuShare, systemCores } from './cpu';
import { LOSS_TIMEOUT_MS, type SendingRun, type SentMessage } from './load';
import type { Observations } from './probe';
import { type Summary, perSecond, summarize } from './stats';

/** What one phase of sending came to, at the clients. */
export interface DeliveryFigures {
  readonly sent: number;
  /** Rate the client managed to emit at: below the offered rate, the client was the limit. */
  readonly emittedRate: number;
  /** Emit → `new:message` at the recipient, for messages delivered within the loss timeout. */
  readonly delivery: Summary;
  /** Emit → acknowledgement (CommandAccepted back at the gateway). */
  readonly acknowledgement: Summary;
  /** Emit → `message:sent` at the sender. */
  readonly confirmation: Summary;
  readonly lost: number;
  readonly unconfirmed: number;
  /** Refused sends by message. */
  readonly failures: ReadonlyMap<string, number>;
  readonly observed: Observations;
}

export function deliveryFigures(run: SendingRun, observed: Observations): DeliveryFigures {
  const { records } = run;
  const within = (at: number | undefined, m: SentMessage): number | undefined =>
    at !== undefined && at - m.emittedAt <= LOSS_TIMEOUT_MS ? at - m.emittedAt : undefined;
  const delivery = records.map((m) => within(m.deliveredAt, m)).filter((v) => v !== undefined);
  const confirmation = records.map((m) => within(m.confirmedAt, m)).filter((v) => v !== undefined);
  const acknowledgement = records.filter((m) => m.ackedAt !== undefined && !m.failure).map((m) => (m.ackedAt as number) - m.emittedAt);
  const failures = new Map<string, number>();
  for (const m of records) if (m.failure) failures.set(m.failure, (failures.get(m.failure) ?? 0) + 1);
  const span = (run.lastEmitAt - run.startedAt) / 1000;
  return {
    sent: records.length,
    emittedRate: records.length > 1 && span > 0 ? (records.length - 1) / span : NaN,
    delivery: summarize(delivery),
    acknowledgement: summarize(acknowledgement),
    confirmation: summarize(confirmation),
    lost: records.length - delivery.length,
    unconfirmed: records.length - confirmation.length,
    failures,
    observed,
  };
}

/** The throughput phase's verdict on one step. */
export interface StepFigures extends DeliveryFigures {
  readonly offered: number;
  /** Messages delivered over the time from the first emit to the last delivery. */
  readonly deliveredRate: number;
  /** Share of the offered messages delivered by the end of the step plus the grace period. */
  readonly deliveredInTime: number;
  readonly keptUp: boolean;
  /** Why it did not keep up (empty when it did). */
  readonly shortfalls: readonly string[];
}

export const STEP_GRACE_MS = 5_000;
export const STEP_MIN_DELIVERED = 0.95;
export const STEP_MAX_P99_MS = 150;

/**
 * Kept up: at least 95 % of what the step offered (rate × seconds) reached recipients by the
 * end of the step plus 5 s, with p99 under `maxP99Ms` (undefined: no bound). A client that
 * could not even emit at the rate is named as such, since then the figure says nothing about
 * the system.
 */
export function stepFigures(
  offered: number,
  seconds: number,
  run: SendingRun,
  observed: Observations,
  maxP99Ms: number | undefined,
): StepFigures {
  const base = deliveryFigures(run, observed);
  const deadline = run.startedAt + seconds * 1000 + STEP_GRACE_MS;
  const delivered = run.records.filter((m) => m.deliveredAt !== undefined && m.deliveredAt - m.emittedAt <= LOSS_TIMEOUT_MS);
  const inTime = delivered.filter((m) => (m.deliveredAt as number) <= deadline).length;
  const lastDelivery = delivered.reduce((latest, m) => Math.max(latest, m.deliveredAt as number), run.startedAt);
  const deliveredRate = delivered.length > 0 ? delivered.length / ((lastDelivery - run.startedAt) / 1000) : 0;
  const deliveredInTime = inTime / Math.round(offered * seconds);
  const shortfalls: string[] = [];
  if (base.emittedRate < offered * STEP_MIN_DELIVERED) shortfalls.push(`the client emitted only ${perSecond(base.emittedRate)}`);
  if (deliveredInTime < STEP_MIN_DELIVERED) shortfalls.push(`${(deliveredInTime * 100).toFixed(0)} % delivered within the step + ${STEP_GRACE_MS / 1000} s`);
  if (maxP99Ms !== undefined && !(base.delivery.p99 < maxP99Ms)) shortfalls.push(`p99 ${base.delivery.p99.toFixed(0)} ms ≥ ${maxP99Ms} ms`);
  return { ...base, offered, deliveredRate, deliveredInTime, keptUp: shortfalls.length === 0, shortfalls };
}

/**
 * One step of the group phase. Its base figures count a message delivered once every other
 * member has it; `perDelivery` is each member's own copy.
 */
export interface GroupStepFigures extends StepFigures {
  /** Members each message goes to (all but its sender). */
  readonly recipients: number;
  /** Emit → `new:message` at one member, over every member's copy received within the loss timeout. */
  readonly perDelivery: Summary;
  /** Copies received a second, over the time from the first emit to the last copy. */
  readonly deliveriesRate: number;
}

/**
 * Kept up: the step's messages reached every other member in time (see {@link stepFigures});
 * no latency bound, since what the group is held to is deliveries a second.
 */
export function groupStepFigures(offered: number, seconds: number, recipients: number, run: SendingRun, observed: Observations): GroupStepFigures {
  const step = stepFigures(offered, seconds, run, observed, undefined);
  const latencies: number[] = [];
  let lastCopy = run.startedAt;
  for (const m of run.records) {
    for (const at of m.deliveries) {
      if (at - m.emittedAt > LOSS_TIMEOUT_MS) continue;
      latencies.push(at - m.emittedAt);
      lastCopy = Math.max(lastCopy, at);
    }
  }
  const deliveriesRate = latencies.length > 0 ? latencies.length / ((lastCopy - run.startedAt) / 1000) : 0;
  return { ...step, recipients, perDelivery: summarize(latencies), deliveriesRate };
}

/** The CPU one delivered message cost, from a step at a steady rate. */
export interface CpuPerMessage {
  readonly step: StepFigures;
  /** Cores every process of the system kept busy (the clients' excluded). */
  readonly cores: number;
  /** Those cores × 1,000 ms ÷ messages delivered a second. */
  readonly msPerMessage: number;
  /** The same, per process. */
  readonly byProcess: Readonly<Record<string, number>>;
}

export function cpuPerMessage(step: StepFigures): CpuPerMessage | undefined {
  const { cpu } = step.observed;
  if (!cpu || !(step.deliveredRate > 0)) return undefined;
  const perMessage = (cores: number): number => (cores * 1000) / step.deliveredRate;
  const byProcess = Object.fromEntries(Object.entries(cpu.processes).map(([name, cores]) => [name, perMessage(cores)]));
  const cores = systemCores(cpu);
  return { step, cores, msPerMessage: perMessage(cores), byProcess };
}

/** The system at rest: sockets connected, nothing sent. */
export interface IdleFigures {
  readonly seconds: number;
  readonly sockets: number;
  readonly cpu: CpuShare | undefined;
  /** Cores of every process of the system (the clients' excluded). */
  readonly cores: number | undefined;
}

/** What each system measured (ours and each reference) came to on the phases they all run. */
export interface SubjectFigures {
  readonly latency: DeliveryFigures;
  readonly steps: readonly StepFigures[];
  readonly cpu: CpuPerMessage | undefined;
  readonly idle: IdleFigures | undefined;
}
