/**
 * The benchmark's options: each from its `--flag` on the command line, else its `BENCH_*`
 * environment variable, else the default. The defaults are the figures docs/benchmarks.md
 * records; shorter runs are for trying things out.
 */
export interface BenchOptions {
  /** Messages per second of the latency phase (and of the hop-by-hop phase). */
  readonly rate: number;
  /** Length of each latency phase, in seconds. */
  readonly rateSeconds: number;
  /** Length of the hop-by-hop phase (tap consumers on), in seconds; 0 skips it. */
  readonly hopSeconds: number;
  /** Offered rates of the throughput phase, ascending; empty skips it. */
  readonly steps: readonly number[];
  /** Length of each throughput step (and group step, and the CPU phase's own step), in seconds. */
  readonly maxSeconds: number;
  /** Unmeasured sending before the latency phase: JIT, connection pools, Kafka fetch sessions. */
  readonly warmupSeconds: number;
  /** Conversations (a sender and a recipient socket each) the load is spread over. */
  readonly pairs: number;
  /** Conversations of the second latency phase, its own pairs; 0 skips it. */
  readonly fewPairs: number;
  /** Members of the group phase's one group, each its own socket; 0 skips the phase. */
  readonly groupMembers: number;
  /** Messages per second sent into the group, ascending; every message goes to all other members. */
  readonly groupSteps: readonly number[];
  /** Rate at which the CPU per delivered message is measured; 0 skips it. */
  readonly cpuRate: number;
  /** Length of the idle measurement (sockets connected, nothing sent), in seconds; 0 skips it. */
  readonly idleSeconds: number;
  /** The references measured the same way before our system, in that order. */
  readonly references: readonly ReferenceKind[];
  /** Whether to rewrite this benchmark's section of docs/benchmarks.md. */
  readonly write: boolean;
}

/**
 * The floor (a bare Socket.IO relay) and a peer of the seed's shape (Socket.IO with an insert
 * into FerretDB per message): what our figures are held next to.
 */
export const referenceKinds = ['relay', 'peer'] as const;
export type ReferenceKind = (typeof referenceKinds)[number];

interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
}

const specs = {
  rate: { flag: '--rate', env: 'BENCH_RATE', help: 'messages/s of the latency and hop phases (200)' },
  rateSeconds: { flag: '--rate-seconds', env: 'BENCH_RATE_SECONDS', help: 'length of each latency phase in s (30)' },
  hopSeconds: { flag: '--hop-seconds', env: 'BENCH_HOP_SECONDS', help: 'length of the hop-by-hop phase in s, 0 skips it (15)' },
  steps: { flag: '--steps', env: 'BENCH_STEPS', help: 'offered rates of the throughput phase, comma-separated, "" skips it (500,1000,2000,3000,4000)' },
  maxSeconds: { flag: '--max-seconds', env: 'BENCH_MAX_SECONDS', help: 'length of each throughput, group or CPU step in s (30)' },
  warmupSeconds: { flag: '--warmup-seconds', env: 'BENCH_WARMUP_SECONDS', help: 'unmeasured sending first, in s (5)' },
  pairs: { flag: '--pairs', env: 'BENCH_PAIRS', help: 'conversations the load is spread over (100)' },
  fewPairs: { flag: '--few-pairs', env: 'BENCH_FEW_PAIRS', help: 'conversations of the second latency phase, 0 skips it (20)' },
  groupMembers: { flag: '--group-members', env: 'BENCH_GROUP_MEMBERS', help: 'members of the group phase, all online, 0 skips it (100)' },
  groupSteps: { flag: '--group-steps', env: 'BENCH_GROUP_STEPS', help: 'messages/s sent into the group, comma-separated, "" skips it (50,100,200,300)' },
  cpuRate: { flag: '--cpu-rate', env: 'BENCH_CPU_RATE', help: 'rate of the CPU per delivered message, its throughput step or a phase of its own, 0 skips it (1000)' },
  idleSeconds: { flag: '--idle-seconds', env: 'BENCH_IDLE_SECONDS', help: 'CPU with sockets connected and nothing sent, in s, 0 skips it (20)' },
  references: { flag: '--references', env: 'BENCH_REFERENCES', help: 'references measured first, comma-separated, "" skips them (relay,peer)' },
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
  const groupMembers = Math.round(number(specs.groupMembers, 100, 0));
  if (groupMembers === 1) throw new OptionsError(`${specs.groupMembers.flag} (${specs.groupMembers.env}) must be 0 or at least 2: a group of one delivers nothing`);
  return {
    rate: number(specs.rate, 200, 1),
    rateSeconds: number(specs.rateSeconds, 30, 1),
    hopSeconds: number(specs.hopSeconds, 15, 0),
    steps: parseRates(specs.steps, raw(specs.steps), [500, 1000, 2000, 3000, 4000]),
    maxSeconds: number(specs.maxSeconds, 30, 1),
    warmupSeconds: number(specs.warmupSeconds, 5, 0),
    pairs: Math.round(number(specs.pairs, 100, 1)),
    fewPairs: Math.round(number(specs.fewPairs, 20, 0)),
    groupMembers,
    groupSteps: parseRates(specs.groupSteps, raw(specs.groupSteps), [50, 100, 200, 300]),
    cpuRate: number(specs.cpuRate, 1000, 0),
    idleSeconds: number(specs.idleSeconds, 20, 0),
    references: parseReferences(raw(specs.references)),
    write: noWrite === undefined || noWrite === '' || noWrite === '0',
  };
}

function parseRates(spec: OptionSpec, text: string | undefined, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  if (text.trim() === '') return [];
  const steps = text.split(',').map((part) => Number(part.trim()));
  const ascending = steps.every((step, i) => i === 0 || step > (steps[i - 1] as number));
  if (steps.some((step) => !Number.isFinite(step) || step <= 0) || !ascending) {
    throw new OptionsError(`${spec.flag} (${spec.env}) must list ascending positive rates, got '${text}'`);
  }
  return steps;
}

function parseReferences(text: string | undefined): ReferenceKind[] {
  if (text === undefined) return [...referenceKinds];
  const names = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
  const unknown = names.filter((name) => !(referenceKinds as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new OptionsError(`${specs.references.flag} (${specs.references.env}) takes ${referenceKinds.join(', ')}, got '${unknown.join(', ')}'`);
  }
  return [...new Set(names as ReferenceKind[])];
}

/**
 * The gateway refuses a socket's events beyond its rate limit, which would show as lost
 * messages rather than as a limit of the system: the load must be spread over enough senders.
 * Leaves a fifth of headroom, since the client's pacing is never perfectly even.
 */
export function checkSpread(options: BenchOptions, eventsPerSocketPerSecond: number): void {
  const allowed = eventsPerSocketPerSecond * 0.8;
  const spreads = [
    { highest: Math.max(options.rate, options.cpuRate, ...options.steps), senders: options.pairs, what: 'pairs', flag: specs.pairs.flag },
    { highest: options.fewPairs > 0 ? options.rate : 0, senders: options.fewPairs, what: 'pairs', flag: specs.fewPairs.flag },
    // Every member sends in turn.
    { highest: options.groupMembers > 0 ? Math.max(0, ...options.groupSteps) : 0, senders: options.groupMembers, what: 'group members', flag: specs.groupMembers.flag },
  ];
  for (const { highest, senders, what, flag } of spreads) {
    if (highest === 0) continue;
    const perSocket = highest / senders;
    if (perSocket <= allowed) continue;
    throw new OptionsError(
      `${highest} msg/s over ${senders} ${what} is ${perSocket.toFixed(0)} sends/s per socket, above 80 % of the gateway's ` +
        `limit of ${eventsPerSocketPerSecond} events/s per socket (SOCKET_EVENTS_PER_SECOND): use ${flag} ${Math.ceil(highest / allowed)} or more`,
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
