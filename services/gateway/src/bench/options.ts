/**
 * The benchmark's options: each from its `--flag` on the command line, else its `BENCH_*`
 * environment variable, else the default. The defaults are the figures docs/benchmarks.md
 * records; shorter runs are for trying things out.
 */
export interface BenchOptions {
  /** Messages per second of the latency phase (and of the hop-by-hop phase). */
  readonly rate: number;
  /** Length of the latency phase, in seconds. */
  readonly rateSeconds: number;
  /** Length of the hop-by-hop phase (tap consumers on), in seconds; 0 skips it. */
  readonly hopSeconds: number;
  /** Offered rates of the throughput phase, ascending; empty skips it. */
  readonly steps: readonly number[];
  /** Length of each throughput step, in seconds. */
  readonly maxSeconds: number;
  /** Unmeasured sending before the latency phase: JIT, connection pools, Kafka fetch sessions. */
  readonly warmupSeconds: number;
  /** Conversations (a sender and a recipient socket each) the load is spread over. */
  readonly pairs: number;
  /** Whether to rewrite this benchmark's section of docs/benchmarks.md. */
  readonly write: boolean;
}

interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
}

const specs = {
  rate: { flag: '--rate', env: 'BENCH_RATE', help: 'messages/s of the latency and hop phases (200)' },
  rateSeconds: { flag: '--rate-seconds', env: 'BENCH_RATE_SECONDS', help: 'length of the latency phase in s (30)' },
  hopSeconds: { flag: '--hop-seconds', env: 'BENCH_HOP_SECONDS', help: 'length of the hop-by-hop phase in s, 0 skips it (15)' },
  steps: { flag: '--steps', env: 'BENCH_STEPS', help: 'offered rates of the throughput phase, comma-separated, "" skips it (500,1000,2000,3000,4000)' },
  maxSeconds: { flag: '--max-seconds', env: 'BENCH_MAX_SECONDS', help: 'length of each throughput step in s (30)' },
  warmupSeconds: { flag: '--warmup-seconds', env: 'BENCH_WARMUP_SECONDS', help: 'unmeasured sending first, in s (5)' },
  pairs: { flag: '--pairs', env: 'BENCH_PAIRS', help: 'conversations the load is spread over (100)' },
  write: { flag: '--no-write', env: 'BENCH_NO_WRITE', help: 'do not rewrite docs/benchmarks.md (BENCH_NO_WRITE=1)' },
} as const satisfies Record<keyof BenchOptions, OptionSpec>;

export const usage = [
  'usage: npm run bench:gateway -- [options]   (each option also as its environment variable)',
  ...Object.values(specs).map((s) => `  ${s.flag.padEnd(17)} ${s.env.padEnd(21)} ${s.help}`),
  '  --help',
].join('\n');

export class OptionsError extends Error {}

/** Reads argv (`--flag value` or `--flag=value`) over the environment; throws OptionsError on anything unclear. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === specs.write.flag) {
      given.set(arg, '1');
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!Object.values(specs).some((s) => s.flag === flag)) throw new OptionsError(`unknown option '${arg}'`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new OptionsError(`${flag} needs a value`);
    given.set(flag, value);
  }
  const raw = (spec: OptionSpec): string | undefined => given.get(spec.flag) ?? env[spec.env]?.trim();
  const number = (spec: OptionSpec, fallback: number, min: number): number => {
    const text = raw(spec);
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new OptionsError(`${spec.flag} (${spec.env}) must be a number ≥ ${min}, got '${text}'`);
    return value;
  };
  const noWrite = raw(specs.write);
  return {
    rate: number(specs.rate, 200, 1),
    rateSeconds: number(specs.rateSeconds, 30, 1),
    hopSeconds: number(specs.hopSeconds, 15, 0),
    steps: parseSteps(raw(specs.steps)),
    maxSeconds: number(specs.maxSeconds, 30, 1),
    warmupSeconds: number(specs.warmupSeconds, 5, 0),
    pairs: Math.round(number(specs.pairs, 100, 1)),
    write: noWrite === undefined || noWrite === '' || noWrite === '0',
  };
}

function parseSteps(text: string | undefined): number[] {
  if (text === undefined) return [500, 1000, 2000, 3000, 4000];
  if (text.trim() === '') return [];
  const steps = text.split(',').map((part) => Number(part.trim()));
  const ascending = steps.every((step, i) => i === 0 || step > (steps[i - 1] as number));
  if (steps.some((step) => !Number.isFinite(step) || step <= 0) || !ascending) {
    throw new OptionsError(`${specs.steps.flag} (${specs.steps.env}) must list ascending positive rates, got '${text}'`);
  }
  return steps;
}

/**
 * The gateway refuses a socket's events beyond its rate limit, which would show as lost
 * messages rather than as a limit of the system: the load must be spread over enough senders.
 * Leaves a fifth of headroom, since the client's pacing is never perfectly even.
 */
export function checkSpread(options: BenchOptions, eventsPerSocketPerSecond: number): void {
  const highest = Math.max(options.rate, ...options.steps);
  const perSocket = highest / options.pairs;
  const allowed = eventsPerSocketPerSecond * 0.8;
  if (perSocket > allowed) {
    const needed = Math.ceil(highest / allowed);
    throw new OptionsError(
      `${highest} msg/s over ${options.pairs} pairs is ${perSocket.toFixed(0)} sends/s per socket, above 80 % of the gateway's ` +
        `limit of ${eventsPerSocketPerSecond} events/s per socket (SOCKET_EVENTS_PER_SECOND): use --pairs ${needed} or more`,
    );
  }
}

/** The command that reproduces this run, as the docs show it. */
export function commandLine(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const envs = Object.values(specs)
    .map((s) => s.env)
    .filter((name) => env[name] !== undefined)
    .map((name) => `${name}=${env[name]}`);
  return [...envs, 'npm run bench:gateway', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}
