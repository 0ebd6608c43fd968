import { type CpuMeter, type CpuShare, formatCpu } from './cpu';
import { type ProjectionCounters, projectionCounters } from './system';

/** What the machine and the read side did while a phase was sending. */
export interface Observations {
  readonly cpu: CpuShare | undefined;
  /**
   * Events the projection worker applied in the same time, and in how many batches: its
   * batch size says whether it had a backlog to catch up on (one event a batch: it kept up).
   */
  readonly projections: { readonly events: number; readonly batches: number } | undefined;
}

interface Start {
  readonly cpu: ReturnType<CpuMeter['snapshot']>;
  readonly projections: ProjectionCounters | undefined;
}

export class PhaseProbe {
  /** `projectionsHealthUrl`: none for a reference, which has no read side. */
  constructor(
    private readonly cpu: CpuMeter,
    private readonly projectionsHealthUrl: string | undefined,
  ) {}

  async begin(): Promise<Start> {
    return { projections: await this.projections(), cpu: this.cpu.snapshot() };
  }

  async end(start: Start): Promise<Observations> {
    const cpu = this.cpu.since(start.cpu);
    const after = await this.projections();
    const projections =
      start.projections && after
        ? { events: after.appliedEvents - start.projections.appliedEvents, batches: after.batches - start.projections.batches }
        : undefined;
    return { cpu, projections };
  }

  private async projections(): Promise<ProjectionCounters | undefined> {
    return this.projectionsHealthUrl === undefined ? undefined : projectionCounters(this.projectionsHealthUrl);
  }
}

export function formatObservations(observed: Observations): string {
  const { projections } = observed;
  const batches =
    projections && projections.batches > 0
      ? `; projections applied ${projections.events} events in ${projections.batches} batches (${(projections.events / projections.batches).toFixed(1)} a batch)`
      : '';
  return `${formatCpu(observed.cpu)}${batches}`;
}
