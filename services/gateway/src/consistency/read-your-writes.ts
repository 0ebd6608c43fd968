import { ReadModelsProgress } from '@chat/projections/read-models';
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

/**
 * Read-your-writes for REST. The gateways push what happened as soon as its events are in the
 * store, before the read models show it (see the projection worker), so a client that was
 * told of a message, or had its own command accepted, could ask for it and not find it yet.
 * Each user's highest such position is remembered here; a REST request of theirs waits until
 * the read models have reached it, for at most `maxWaitMs`, then answers with what there is
 * (the caller says so in a header).
 *
 * The read models' position is looked up only while someone waits, and one lookup serves
 * every waiter (ReadModelsProgress): at rest this costs nothing. Users whose positions the
 * read models have passed are forgotten, so memory holds only those told of something not
 * yet written.
 */
export class ReadYourWrites {
  private readonly told = new Map<string, GlobalPosition>();
  private readonly progress: ReadModelsProgress;
  /** Size of `told` at which the positions passed are swept out. */
  private sweepAt = 1_000;
  private readonly maxWaitMs: number;

  constructor(options: ReadYourWritesOptions) {
    this.maxWaitMs = options.maxWaitMs ?? 1_000;
    this.progress = new ReadModelsProgress({ position: options.readModelsPosition, pollMs: options.pollMs ?? 3 });
  }

  /** These users were told of, or had accepted, what is at `position` (formatPosition text). */
  note(userIds: Iterable<string>, position: string | undefined): void {
    if (position === undefined) return;
    const at = parsePosition(position);
    if (this.progress.passed(at)) return;
    for (const userId of userIds) {
      const known = this.told.get(userId);
      if (!known || comparePositions(at, known) > 0) this.told.set(userId, at);
    }
    // Positions the read models have passed need no wait any more.
    if (this.told.size >= this.sweepAt) {
      for (const [userId, told] of this.told) if (this.progress.passed(told)) this.told.delete(userId);
      this.sweepAt = Math.max(1_000, this.told.size * 2);
    }
  }

  /** Resolves once the read models show all the user was told of, or after the longest wait. */
  async settle(userId: string): Promise<Settled> {
    const wanted = this.told.get(userId);
    if (!wanted || this.progress.passed(wanted)) {
      if (wanted) this.told.delete(userId);
      return { caughtUp: true, waitedMs: 0 };
    }
    const started = performance.now();
    const caughtUp = await this.progress.reach(wanted, this.maxWaitMs);
    if (caughtUp && this.told.get(userId) === wanted) this.told.delete(userId);
    return { caughtUp, wanted: formatPosition(wanted), waitedMs: performance.now() - started };
  }

  /** Drops every wait (the gateway is stopping); each answers with what there is. */
  close(): void {
    this.progress.close();
  }
}
