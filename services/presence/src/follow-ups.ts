/**
 * Work that follows a presence transition (announcing it to contacts, delivering what waited
 * for a user) runs here, off the path of the reports: a heartbeat must never wait behind a
 * slow query, or presence would take a live gateway for dead. One user's follow-ups run in
 * the order given (online is announced before the offline that came after it); different
 * users' run side by side, at most `concurrency` at a time, so a wave of reconnects does not
 * flood the read store. (p-limit and p-queue are ES modules only, and the per-key order is
 * ours to keep anyway.)
 */
export class FollowUps {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  constructor(
    private readonly concurrency: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs `work` after the follow-ups already queued for `key`. */
  add(key: string, work: () => Promise<void>): void {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.slot())
      .then(async () => {
        try {
          await work();
        } catch (err) {
          this.onError(err);
        } finally {
          this.release();
        }
      });
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
  }

  /** Resolves once everything queued so far has run (for a clean stop, and tests). */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }

  get pending(): number {
    return this.tails.size;
  }

  private slot(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
