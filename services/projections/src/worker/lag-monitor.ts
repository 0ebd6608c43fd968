import { projectedStreamPrefixes } from '../read-models/projected-events';
import { type EventStore, type GlobalPosition, comparePositions, formatPosition } from '@chat/runtime';

export interface Lag {
  readonly head: string | null;
  /** Events in the store after the checkpoint, counted up to `cap` (then reported as `cap`). */
  readonly events: number;
  readonly capped: boolean;
  readonly measuredAt: string;
}

/**
 * How far the worker is behind the head of the store, measured when asked (/health,
 * /metrics): nothing reads the store for it while nobody asks. Counting is bounded: a worker
 * far behind reports "at least 10,000", which is all an alert needs.
 */
export class LagMonitor {
  private latest: Lag | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly position: () => GlobalPosition | undefined,
    private readonly cap = 10_000,
  ) {}

  get current(): Lag | undefined {
    return this.latest;
  }

  async measure(): Promise<Lag> {
    const head = await this.store.headPosition();
    const checkpoint = this.position();
    let events = 0;
    if (!checkpoint || comparePositions(head, checkpoint) > 0) {
      const behind = await this.store.readAll({
        ...(checkpoint ? { after: checkpoint } : {}),
        maxCount: this.cap,
        filter: { streamPrefixes: projectedStreamPrefixes },
      });
      events = behind.length;
    }
    this.latest = {
      head: head.commit < 0n ? null : formatPosition(head),
      events,
      capped: events >= this.cap,
      measuredAt: new Date().toISOString(),
    };
    return this.latest;
  }
}
