import type { AppendResult, StreamAppend, StreamAppendOutcome } from './event-store';

/** More streams than this in one transaction would hold their locks too long for the rest. */
const MAX_STREAMS_PER_BATCH = 64;

interface Waiting {
  readonly append: StreamAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers appends: up to `inFlight` batches are written at once, and whatever arrives while
 * they are goes together into the next, so at low load an append waits for nothing and under
 * load many streams share one transaction. Each caller gets its own append's outcome.
 */
export class AppendQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly appendMany: (appends: readonly StreamAppend[]) => Promise<StreamAppendOutcome[]>,
    private readonly inFlight: number,
  ) {
    if (!Number.isInteger(inFlight) || inFlight < 1) throw new Error(`appends in flight must be a positive integer, not ${inFlight}`);
  }

  append(append: StreamAppend): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ append, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.inFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_STREAMS_PER_BATCH);
      this.running += 1;
      void this.write(batch).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  private async write(batch: readonly Waiting[]): Promise<void> {
    let outcomes: StreamAppendOutcome[];
    try {
      outcomes = await this.appendMany(batch.map((waiting) => waiting.append));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) waiting.resolve(outcome.result);
      else waiting.reject(outcome ? outcome.error : new Error('append: no outcome returned'));
    });
  }
}
