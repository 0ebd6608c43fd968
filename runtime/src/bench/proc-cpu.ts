import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * CPU from /proc (Linux only: elsewhere every reading is undefined and the bench says n/a).
 * Process ticks are read on the same scale as the machine's, so no clock-tick rate is assumed.
 */

export interface CpuReading {
  readonly totalTicks: number;
  readonly busyTicks: number;
  /** Ticks used by the watched process, when it could be read. */
  readonly processTicks: number | undefined;
}

export interface CpuSpan {
  /** Busy share of all cores, 0..1, whoever used them. */
  readonly machineBusy: number;
  /** Cores used by the watched process (1 = one core fully busy). */
  readonly processCores: number | undefined;
}

const cores = cpus().length;

export function readCpu(pid: number | undefined): CpuReading | undefined {
  const machine = machineTicks();
  if (!machine) return undefined;
  return { ...machine, processTicks: pid === undefined ? undefined : processCpuTicks(pid) };
}

export function cpuBetween(start: CpuReading | undefined, end: CpuReading | undefined): CpuSpan | undefined {
  if (!start || !end || end.totalTicks <= start.totalTicks) return undefined;
  const elapsed = end.totalTicks - start.totalTicks;
  const processCores =
    start.processTicks === undefined || end.processTicks === undefined ? undefined : ((end.processTicks - start.processTicks) / elapsed) * cores;
  return { machineBusy: (end.busyTicks - start.busyTicks) / elapsed, processCores };
}

/** The machine's busy share over `ms`, before anything of ours runs: work that will share it with the run. */
export async function backgroundBusy(ms = 2_000): Promise<number | undefined> {
  const start = readCpu(undefined);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return cpuBetween(start, readCpu(undefined))?.machineBusy;
}

/**
 * The Kafka broker started for this run: the JVM running `kafka.Kafka` whose command line names
 * our data folder. Another run's broker on the same machine names its own folder.
 */
export function kafkaBrokerPid(dataDir: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('kafka.Kafka') && args.some((arg) => arg.includes(dataDir))) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

/** The machine's CPU ticks since boot, all cores, and how many of them were busy. */
export function machineTicks(): { totalTicks: number; busyTicks: number } | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal; guest time is already inside user.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return { totalTicks: total, busyTicks: total - (fields[3] ?? 0) - (fields[4] ?? 0) };
  } catch {
    return undefined;
  }
}

/** A process's CPU ticks (user and system), on the scale of machineTicks; undefined once it is gone. */
export function processCpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
