import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { cpus } from 'node:os';
import { machineTicks, processCpuTicks } from '@chat/runtime';

/**
 * Where the CPU went during a phase, from /proc (Linux only; elsewhere nothing is reported).
 * On a small machine the client, the services and the servers share the cores, so a figure
 * without this cannot say whether the system or the machine ran out.
 */
export interface CpuShare {
  /** Busy share of all cores, 0..1, whoever used them (other work on the machine included). */
  readonly machine: number;
  /** Per watched process (or group of processes), in cores (1 = one core fully busy). */
  readonly processes: Readonly<Record<string, number>>;
  /** Cores busy with anything not watched: on a shared machine, other people's work. */
  readonly others: number;
}

interface Snapshot {
  readonly totalTicks: number;
  readonly busyTicks: number;
  /** Per name, the ticks of each of its processes. */
  readonly processTicks: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

export class CpuMeter {
  private readonly cores = cpus().length;

  /**
   * `watched` names the processes to follow, several pids under one name for a server made of
   * processes (PostgreSQL's backends). It is asked again at each snapshot: backends come and go.
   */
  constructor(private readonly watched: () => Readonly<Record<string, readonly number[]>>) {}

  snapshot(): Snapshot | undefined {
    const machine = machineTicks();
    if (!machine) return undefined;
    const processTicks = new Map<string, Map<number, number>>();
    for (const [name, pids] of Object.entries(this.watched())) {
      const ticks = new Map<number, number>();
      for (const pid of pids) {
        const used = processCpuTicks(pid);
        if (used !== undefined) ticks.set(pid, used);
      }
      processTicks.set(name, ticks);
    }
    return { ...machine, processTicks };
  }

  since(start: Snapshot | undefined): CpuShare | undefined {
    const end = this.snapshot();
    if (!start || !end || end.totalTicks <= start.totalTicks) return undefined;
    // /proc/stat counts ticks of all cores together; a process's ticks are on one scale with them.
    const elapsed = end.totalTicks - start.totalTicks;
    const processes: Record<string, number> = {};
    for (const [name, pids] of end.processTicks) {
      const before = start.processTicks.get(name);
      if (before === undefined || pids.size === 0) continue;
      // Only processes alive at both ends count: one that started or ended in between is missed.
      let used = 0;
      for (const [pid, ticks] of pids) used += ticks - (before.get(pid) ?? ticks);
      processes[name] = (used / elapsed) * this.cores;
    }
    const machine = (end.busyTicks - start.busyTicks) / elapsed;
    const watched = Object.values(processes).reduce((sum, cores) => sum + cores, 0);
    return { machine, processes, others: Math.max(0, machine * this.cores - watched) };
  }
}

/** The server a command line belongs to, by its executable; undefined for anything else (the supervisor). */
function serverName(executable: string): string | undefined {
  const names: Record<string, string> = { java: 'kafka', postgres: 'postgres', ferretdb: 'ferretdb', 'redis-server': 'redis' };
  return names[basename(executable)];
}

/**
 * The local servers of one data folder (their command lines name it), each with all its
 * descendants: PostgreSQL's work is done by backends forked per connection.
 */
export function localServerPids(dataDir: string): Record<string, number[]> {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return {};
  }
  const children = new Map<number, number[]>();
  const roots: { name: string; pid: number }[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const name = serverName(args[0] ?? '');
      if (name && args.some((arg) => arg.includes(dataDir))) roots.push({ name, pid });
    } catch {
      // the process ended while we looked
    }
  }
  const tree = (pid: number): number[] => [pid, ...(children.get(pid) ?? []).flatMap(tree)];
  const groups: Record<string, number[]> = {};
  for (const { name, pid } of roots) groups[name] = [...(groups[name] ?? []), ...tree(pid)];
  return groups;
}

/** Cores the system used: every watched process but the benchmark's own clients ("bench"). */
export function systemCores(share: CpuShare): number {
  return Object.entries(share.processes).reduce((sum, [name, cores]) => (name === 'bench' ? sum : sum + cores), 0);
}

/** `digits`: 3 for a system at rest, whose processes use thousandths of a core. */
export function formatCpu(share: CpuShare | undefined, digits = 2): string {
  if (!share) return 'CPU: not measured (no /proc)';
  const parts = Object.entries(share.processes).map(([name, cores]) => `${name} ${cores.toFixed(digits)}`);
  return `CPU: machine ${(share.machine * 100).toFixed(0)} % busy; cores used by ${parts.join(', ')}, anything else ${share.others.toFixed(digits)}`;
}
