import type { GatewayNotification } from '@chat/contracts';
import type { RecordedEvent } from '@chat/runtime';

/**
 * What the worker needs from the read models: work out a batch's effect without writing it
 * (so the notifications it causes can be made durable first), then write it.
 */
export interface BatchPlan {
  /** What gateways must emit because of this batch, in event order. */
  readonly notifications: readonly GatewayNotification[];
  /** Writes the batch's documents (position-guarded, so writing twice is harmless). */
  write(): Promise<void>;
}

export interface ReadModelApplier {
  plan(events: readonly RecordedEvent[]): Promise<BatchPlan>;
}
