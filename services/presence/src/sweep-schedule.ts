/**
 * When presence sweeps: at the latest `everyMs` after the last sweep (a gateway whose
 * heartbeats stopped is found within that much of its TTL), and at once when a grace period it
 * knows of runs out (this instance's disconnects, and the earliest deadline the last sweep
 * left). Polling every half second instead kept presence and Redis busy at rest for the sake
 * of deadlines that came a few times a minute. One sweep at a time; a deadline that arrives
 * during one is kept for after it.
 */
export class SweepSchedule {
  private timer: NodeJS.Timeout | undefined;
  private scheduledAt = Number.POSITIVE_INFINITY;
  private wantedDuringSweep = Number.POSITIVE_INFINITY;
  private sweeping = false;
  private stopped = false;

  constructor(
    /** Resolves to the earliest deadline still ahead, if any. */
    private readonly sweep: () => Promise<number | undefined>,
    private readonly everyMs: number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.wakeAt(Date.now());
  }

  /** Makes sure a sweep runs at `at` (epoch ms) or earlier. */
  wakeAt(at: number): void {
    if (this.stopped) return;
    if (this.sweeping) {
      this.wantedDuringSweep = Math.min(this.wantedDuringSweep, at);
      return;
    }
    if (at >= this.scheduledAt) return;
    clearTimeout(this.timer);
    this.scheduledAt = at;
    this.timer = setTimeout(() => void this.run(), Math.max(0, at - Date.now()));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.scheduledAt = Number.POSITIVE_INFINITY;
    this.sweeping = true;
    let nextDeadline: number | undefined;
    try {
      nextDeadline = await this.sweep();
    } catch (err) {
      this.log(`sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.sweeping = false;
    }
    const wanted = this.wantedDuringSweep;
    this.wantedDuringSweep = Number.POSITIVE_INFINITY;
    this.wakeAt(Math.min(Date.now() + this.everyMs, nextDeadline ?? Number.POSITIVE_INFINITY, wanted));
  }
}
