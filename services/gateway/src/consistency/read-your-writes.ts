import { comparePositions, formatPosition, type GlobalPosition, parsePosition } from '@chat/runtime';

export interface ReadYourWritesOptions {
  /** The position the read models have reached (their worker's checkpoint). */
  readonly readModelsPosition: () => Promise<GlobalPosition | undefined>;
  /** Longest a read waits for the read models before it answers with what there is. */
  readonly maxWaitMs?: number;
  /** Pause between two looks at the read models while someone waits. */
  readonly pollMs?: number;
}

/** What holding a read back came to. */
export interface Settled {
  /** The read models show everything the user was told of or had accepted. */
  readonly caughtUp: boolean;
  /** The position waited for, when there was one the read models had not shown yet. */
  readonly wanted?: string;
  readonly waitedMs: number;
}

interface Waiter {
  readonly wanted: GlobalPosition;
  readonly resolve: (caughtUp: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Read-your-writes for REST. The gateways push what happened as soon as its events are in the
 * store, before the read models show it (see the projection worker), so a client that was
 * told of a message, or had its own command accepted, could ask for it and not find it yet.
 * Each user's highest such position is remembered here; a REST request of theirs waits until
 * the read models have reached it, for at most `maxWaitMs`, then answers with what there is
 * (the caller says so in a header).
 *
 * The read models' position is looked up only while someone waits, and one lookup serves
 * every waiter: at rest this costs nothing. Users whose positions the read models have passed
 * are forgotten, so memory holds only those told of something not yet written.
 */
export class ReadYourWrites {
  private readonly told = new Map<string, GlobalPosition>();
  private readonly waiters = new Set<Waiter>();
  private reached: GlobalPosition | undefined;
  private polling = false;
  /** Size of `told` at which the positions passed are swept out. */
  private sweepAt = 1_000;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: ReadYourWritesOptions) {
    this.maxWaitMs = options.maxWaitMs ?? 1_000;
    this.pollMs = options.pollMs ?? 3;
  }

  /** These users were told of, or had accepted, what is at `position` (formatPosition text). */
  note(userIds: Iterable<string>, position: string | undefined): void {
    if (position === undefined) return;
    const at = parsePosition(position);
    if (this.passed(at)) return;
    for (const userId of userIds) {
      const known = this.told.get(userId);
      if (!known || comparePositions(at, known) > 0) this.told.set(userId, at);
    }
  }

  /** Resolves once the read models show all the user was told of, or after the longest wait. */
  async settle(userId: string): Promise<Settled> {
    const wanted = this.told.get(userId);
    if (!wanted || this.passed(wanted)) {
      if (wanted) this.told.delete(userId);
      return { caughtUp: true, waitedMs: 0 };
    }
    const started = performance.now();
    const caughtUp = await new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        wanted,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, this.maxWaitMs),
      };
      this.waiters.add(waiter);
      this.poll();
    });
    if (caughtUp && this.told.get(userId) === wanted) this.told.delete(userId);
    return { caughtUp, wanted: formatPosition(wanted), waitedMs: performance.now() - started };
  }

  /** Drops every wait (the gateway is stopping); each answers with what there is. */
  close(): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters.clear();
  }

  private passed(position: GlobalPosition): boolean {
    return this.reached !== undefined && comparePositions(position, this.reached) <= 0;
  }

  private poll(): void {
    if (this.polling) return;
    this.polling = true;
    void (async () => {
      while (this.waiters.size > 0) {
        try {
          const position = await this.options.readModelsPosition();
          if (position && (!this.reached || comparePositions(position, this.reached) > 0)) this.advance(position);
        } catch {
          // The read store is unreachable: the waits run out and the reads report it themselves.
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
    // Positions the read models have passed need no wait any more.
    if (this.told.size >= this.sweepAt) {
      for (const [userId, at] of this.told) if (this.passed(at)) this.told.delete(userId);
      this.sweepAt = Math.max(1_000, this.told.size * 2);
    }
  }
}
