import { StreamPrefix } from '@chat/contracts';
import {
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
  type Subscription,
  comparePositions,
  formatPosition,
  SpanKind,
  startOfAll,
  startSpan,
} from '@chat/runtime';
import type { NotificationPublisher } from './notification-publisher';
import type { ReadModelApplier } from './read-model-applier';

export interface CheckpointStore {
  load(): Promise<GlobalPosition | undefined>;
  /** Never moves backwards. */
  save(position: GlobalPosition): Promise<void>;
}

export interface ProjectionWorkerOptions {
  readonly store: EventStore;
  readonly applier: ReadModelApplier;
  readonly checkpoints: CheckpointStore;
  readonly publisher: NotificationPublisher;
  readonly log?: (line: string) => void;
  /** Most events applied in one batch. */
  readonly maxBatch?: number;
  /** Events buffered before the subscription is made to wait. */
  readonly maxBuffered?: number;
  /**
   * Fault injection for tests: runs after a batch's notifications are published and before
   * its documents are written, the window in which clients know of what the read models do
   * not show yet.
   */
  readonly beforeWrite?: (published: number) => Promise<void>;
  /**
   * Fault injection for tests: runs after a batch's documents are written and before its
   * checkpoint is saved, the window a crash must survive without duplicating anything.
   */
  readonly beforeCheckpoint?: () => Promise<void>;
}

export interface WorkerStatus {
  readonly running: boolean;
  readonly checkpoint: string | null;
  /** When the last applied event was written to the store. */
  readonly lastEventAt: string | null;
  readonly appliedEvents: number;
  readonly batches: number;
  readonly buffered: number;
  readonly error: string | null;
}

/**
 * The projection worker: follows every conversation and user event from its checkpoint and
 * keeps the read models and the gateways up to date, in batches.
 *
 * Per batch: plan it (documents and notifications, in memory), publish the notifications,
 * write the documents, save the checkpoint. The notifications go first: they are what a
 * client waits for, and the events they tell of are already durable in the store (a gateway
 * holds back a REST read until the read models show what its user was told, see the
 * gateway's read-your-writes). Killed at any point, it resumes from the checkpoint: a batch
 * whose documents were not all written is planned again and notifies again, under the same
 * dedupe keys (gateways drop the copies); one whose documents were written changes nothing
 * and notifies no one, having published before it wrote.
 *
 * One worker writes every read-model document: FerretDB's updates are read-modify-write, so
 * two writers of one document could lose an update. Scaling out means partitioning the
 * streams between workers (by conversation), not sharing them.
 */
export class ProjectionWorker {
  private subscription: Subscription | undefined;
  private buffer: RecordedEvent[] = [];
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private checkpoint: GlobalPosition | undefined;
  private lastEventAt: Date | undefined;
  private appliedEvents = 0;
  private batches = 0;
  private error: unknown;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ProjectionWorkerOptions) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxBuffered = options.maxBuffered ?? 5000;
    this.log = options.log ?? ((line) => console.log(`[projections] ${line}`));
  }

  async start(): Promise<void> {
    this.checkpoint = await this.options.checkpoints.load();
    this.log(`resuming after ${this.checkpoint ? formatPosition(this.checkpoint) : 'the start'}`);
    this.loop = this.run();
    await this.subscribe();
  }

  private async subscribe(): Promise<void> {
    this.subscription = await this.options.store.subscribeToAll({
      after: this.checkpoint ?? startOfAll,
      filter: { streamPrefixes: [StreamPrefix.Conversation, StreamPrefix.User] },
      onEvent: (event) => this.enqueue(event),
      onError: (err) => void this.resubscribe(err),
    });
  }

  /**
   * The store connection broke: start again from the checkpoint. Events still buffered are
   * dropped (they come again), and the batch in flight is filtered against the checkpoint.
   */
  private async resubscribe(err: unknown): Promise<void> {
    this.error = err;
    this.log(`subscription ended: ${describe(err)}; resubscribing from the checkpoint`);
    this.buffer = [];
    this.drained?.();
    for (let delay = 200; !this.stopping; delay = Math.min(delay * 2, 5000)) {
      await sleep(delay);
      try {
        await this.subscribe();
        this.error = undefined;
        return;
      } catch (retryError) {
        this.log(`resubscribing failed: ${describe(retryError)}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    this.wake?.();
    await this.loop;
  }

  status(): WorkerStatus {
    return {
      running: this.loop !== undefined && !this.stopping && this.error === undefined,
      checkpoint: this.checkpoint ? formatPosition(this.checkpoint) : null,
      lastEventAt: this.lastEventAt?.toISOString() ?? null,
      appliedEvents: this.appliedEvents,
      batches: this.batches,
      buffered: this.buffer.length,
      error: this.error === undefined ? null : describe(this.error),
    };
  }

  /** The position this worker has fully applied, or undefined before its first batch. */
  get position(): GlobalPosition | undefined {
    return this.checkpoint;
  }

  private async enqueue(event: RecordedEvent): Promise<void> {
    this.buffer.push(event);
    this.wake?.();
    if (this.buffer.length >= this.maxBuffered) {
      await new Promise<void>((resolve) => (this.drained = resolve));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (this.buffer.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.buffer.splice(0, this.maxBatch);
      if (this.buffer.length < this.maxBuffered) {
        this.drained?.();
        this.drained = undefined;
      }
      // A batch is retried until it applies: skipping events would corrupt the read models,
      // and every step is idempotent. A failure that persists shows in the health status.
      for (let delay = 100; !this.stopping; delay = Math.min(delay * 2, 5000)) {
        try {
          await this.apply(batch);
          this.error = undefined;
          break;
        } catch (err) {
          this.error = err;
          this.log(`batch of ${batch.length} failed, retrying in ${delay} ms: ${describe(err)}`);
          await sleep(delay);
        }
      }
    }
  }

  private async apply(events: readonly RecordedEvent[]): Promise<void> {
    const untraced = this.checkpoint ? events.filter((e) => comparePositions(e.position, this.checkpoint as GlobalPosition) > 0) : events;
    if (untraced.length === 0) return;
    // A span per event, in the trace the event brought (the write side's), lasting until its
    // batch is written and published; the notifications it causes carry that span on.
    const spans = untraced.map((event) =>
      startSpan(`project ${event.type}`, { kind: SpanKind.CONSUMER, parent: event.metadata, attributes: { 'chat.event_id': event.id, 'chat.stream': event.streamName } }),
    );
    try {
      await this.applyTraced(untraced.map((event, i) => ({ ...event, metadata: { ...event.metadata, ...spans[i]?.traceContext } })));
    } finally {
      for (const { span } of spans) span.end();
    }
  }

  private async applyTraced(fresh: readonly RecordedEvent[]): Promise<void> {
    const last = fresh[fresh.length - 1];
    if (!last) return;
    const plan = await this.options.applier.plan(fresh);
    await this.options.publisher.publish(plan.notifications);
    await this.options.beforeWrite?.(plan.notifications.length);
    await plan.write();
    await this.options.beforeCheckpoint?.();
    await this.options.checkpoints.save(last.position);
    this.checkpoint = last.position;
    this.lastEventAt = last.createdAt;
    this.appliedEvents += fresh.length;
    this.batches += 1;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
