import type { Consumer } from 'kafkajs';

type OffsetCommitter = Pick<Consumer, 'commitOffsets'>;

interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read: one past the last handled record. */
  readonly offset: string;
}

/**
 * Consumer offsets committed on a timer instead of after every batch. With `autoCommit` on,
 * kafkajs's runner commits after each partition's batch whatever `autoCommitInterval` says,
 * and fetches again only once those commits are answered: a broker round trip in the path of
 * every record, and a write to `__consumer_offsets` per batch, which kept the broker busier
 * than any service at 200 msg/s. The consumer runs with `autoCommit: false` instead; each
 * handled record is noted here, and the latest of each partition is committed at most once
 * per interval while records flow, never while idle, and at a clean stop.
 *
 * A crash redelivers at most an interval's records, which every consumer absorbs (its
 * handling is idempotent). A commit lost to a rebalance only widens that window for the
 * partition's next owner; it is not retried on its own, a later record carries it forward.
 */
export class TimedOffsetCommits {
  private readonly latest = new Map<string, PartitionOffset>();
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private handling = 0;
  private drained: (() => void) | undefined;
  private stopping = false;

  constructor(
    private readonly consumer: OffsetCommitter,
    private readonly options: { readonly intervalMs?: number; readonly log?: (line: string) => void } = {},
  ) {}

  /** False once {@link stop} began: a batch handler should take no further record. */
  get accepting(): boolean {
    return !this.stopping;
  }

  /** Runs a batch handler, counted so that {@link stop} can wait for it. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.handling++;
    try {
      return await work();
    } finally {
      this.handling--;
      if (this.handling === 0) this.drained?.();
    }
  }

  /** The record at `offset` is handled: a restart of the group starts after it. */
  handled(topic: string, partition: number, offset: string): void {
    this.latest.set(`${topic}:${partition}`, { topic, partition, offset: (BigInt(offset) + 1n).toString() });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.commit();
    }, this.options.intervalMs ?? 1_000);
  }

  /**
   * A clean stop, before the consumer disconnects: takes no further record, waits for the
   * batches under way and commits everything they handled.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.handling > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.commit();
  }

  private commit(): Promise<void> {
    // One commit at a time, in order: an older one answered last must not win.
    this.committing = this.committing.then(async () => {
      if (this.latest.size === 0) return;
      const offsets = [...this.latest.values()];
      this.latest.clear();
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (err) {
        this.options.log?.(`offset commit failed (a restart redelivers from the previous one): ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.committing;
  }
}
