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
export const STEP_MAX_P99_MS = 1_000;

/**
 * Kept up: at least 95 % of what the step offered (rate × seconds) reached recipients by the
 * end of the step plus 5 s, with p99 under 1 s. A client that could not even emit at the rate
 * is named as such, since then the figure says nothing about the system.
 */
export function stepFigures(offered: number, seconds: number, run: SendingRun, observed: Observations): StepFigures {
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
  if (!(base.delivery.p99 < STEP_MAX_P99_MS)) shortfalls.push(`p99 ${base.delivery.p99.toFixed(0)} ms ≥ ${STEP_MAX_P99_MS} ms`);
  return { ...base, offered, deliveredRate, deliveredInTime, keptUp: shortfalls.length === 0, shortfalls };
}
