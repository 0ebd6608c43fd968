/** Latency summaries, in milliseconds. */
export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles; NaN everywhere for no samples, so an empty phase prints as such. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => (sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number));
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

export function ms(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  return Math.abs(value) >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

export function perSecond(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')} msg/s`;
}

export function percent(value: number): string {
  return Number.isNaN(value) ? 'n/a' : `${(value * 100).toFixed(0)} %`;
}

/** Milliseconds since the epoch with sub-millisecond resolution, comparable with Kafka record timestamps. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
