import { comparePositions, type GlobalPosition } from '@chat/runtime';

export interface ReadModelsProgressOptions {
  /** The position the read models have reached (their worker's checkpoint; ReadModelQueries.position). */
  readonly position: () => Promise<GlobalPosition | undefined>;
  /** Pause between two looks at the read models while someone waits. */
  readonly pollMs?: number;
}

interface Waiter {
  readonly wanted: GlobalPosition;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Waits for the read models, which are written behind the store, to reach a position. Their
 * position is looked up only while someone waits, and one lookup serves every waiter: at rest
 * this costs nothing, and a thousand waiters cost what one does.
 */
export class ReadModelsProgress {
  private readonly waiters = new Set<Waiter>();
  private reached: GlobalPosition | undefined;
  private polling = false;
  private readonly pollMs: number;

  constructor(private readonly options: ReadModelsProgressOptions) {
    this.pollMs = options.pollMs ?? 3;
  }

  /** True when the read models were last seen at or past `position`. */
  passed(position: GlobalPosition): boolean {
    return this.reached !== undefined && comparePositions(position, this.reached) <= 0;
  }

  /** True once the read models show `position`; false after `maxWaitMs` (or a close) without. */
  reach(position: GlobalPosition, maxWaitMs: number): Promise<boolean> {
    if (this.passed(position)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        wanted: position,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, maxWaitMs),
      };
      this.waiters.add(waiter);
      this.poll();
    });
  }

  /** Answers every wait at once, unreached (the service is stopping). */
  close(): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters.clear();
  }

  private poll(): void {
    if (this.polling) return;
    this.polling = true;
    void (async () => {
      while (this.waiters.size > 0) {
        try {
          const position = await this.options.position();
          if (position && (!this.reached || comparePositions(position, this.reached) > 0)) this.advance(position);
        } catch {
          // The read store is unreachable: the waits run out and their callers say so themselves.
        }
        if (this.waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
    })().finally(() => {
      this.polling = false;
      // A waiter added while the loop was ending must not be left without one.
      if (this.waiters.size > 0) this.poll();
    });
  }

  private advance(position: GlobalPosition): void {
    this.reached = position;
    for (const waiter of this.waiters) {
      if (!this.passed(waiter.wanted)) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(true);
    }
  }
}
