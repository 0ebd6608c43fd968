import type { GatewayNotification } from '@chat/contracts';
import type { GlobalPosition, RecordedEvent } from '@chat/runtime';

/**
 * What the worker needs from the read models: work out a batch's effect without writing it
 * (so the notifications it causes go out first), then have it written behind.
 */
export interface BatchPlan {
  /** What gateways must emit because of this batch, in event order. */
  readonly notifications: readonly GatewayNotification[];
}

export interface ReadModelApplier {
  /** Plans a batch, starting from every plan staged before it. */
  plan(events: readonly RecordedEvent[]): Promise<BatchPlan>;
  /** The plan's documents join the next write; later plans start from them. */
  stage(plan: BatchPlan): void;
  /** Documents staged and not yet written. */
  readonly stagedCount: number;
  /**
   * Writes everything staged (position-guarded, so writing twice is harmless) and answers
   * the position it covers, undefined when nothing was staged; on a failure it stays staged.
   */
  writeStaged(): Promise<GlobalPosition | undefined>;
}
