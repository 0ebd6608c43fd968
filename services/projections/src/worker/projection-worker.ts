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
import { projectedStreamPrefixes } from '../read-models/projected-events';
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
  /** Documents planned and not yet written before planning waits for the writes. */
  readonly maxStaged?: number;
  /**
   * Least time between the starts of two read-model writes. Each write is a command per read
   * model and a checkpoint whatever it carries, and a timeline page or conversation changed
   * several times meanwhile is rewritten whole once instead of each time: spacing the writes
   * lets each take what arrived meanwhile. The notifications never wait for it; a REST read
   * after a send waits at most this much longer.
   */
  readonly writeIntervalMs?: number;
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
  /** Documents planned (their notifications out) and not yet written. */
  readonly staged: number;
  readonly error: string | null;
}

/**
 * The projection worker: follows every conversation and user event from its checkpoint and
 * keeps the read models and the gateways up to date, in batches.
 *
 * Per batch: plan it (documents and notifications, in memory, starting from every batch
 * planned before), publish the notifications, stage the documents. A writer behind it stores
 * whatever is staged, all of it in one write (what arrives while a write is under way goes
 * out together in the next), then saves the checkpoint. The notifications never wait for the
 * read models: they are what a client waits for, and the events they tell of are already
 * durable in the store (a gateway holds back a REST read until the read models show what
 * its user was told, see the gateway's read-your-writes). Killed at any point, it resumes
 * from the checkpoint: batches whose documents were not all written are planned again and
 * notify again, under the same dedupe keys (gateways drop the copies); documents already
 * written are left as they are by their position guards.
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
  /** What the read models hold (written, checkpoint saved). */
  private checkpoint: GlobalPosition | undefined;
  /** What is planned and published: the checkpoint once the staged documents are written. */
  private planned: GlobalPosition | undefined;
  private writer: Promise<void> | undefined;
  private lastWriteStartedAt = Number.NEGATIVE_INFINITY;
  private wakeWriter: (() => void) | undefined;
  private lastEventAt: Date | undefined;
  private appliedEvents = 0;
  private batches = 0;
  private error: unknown;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly maxStaged: number;
  private readonly writeIntervalMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ProjectionWorkerOptions) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxBuffered = options.maxBuffered ?? 5000;
    this.maxStaged = options.maxStaged ?? 20_000;
    this.writeIntervalMs = options.writeIntervalMs ?? 0;
    this.log = options.log ?? ((line) => console.log(`[projections] ${line}`));
  }

  async start(): Promise<void> {
    this.checkpoint = await this.options.checkpoints.load();
    this.planned = this.checkpoint;
    this.log(`resuming after ${this.checkpoint ? formatPosition(this.checkpoint) : 'the start'}`);
    this.loop = this.run();
    await this.subscribe();
  }

  private async subscribe(): Promise<void> {
    this.subscription = await this.options.store.subscribeToAll({
      // What is planned is staged in memory and will be written: the events after it are what is missing.
      after: this.planned ?? startOfAll,
      filter: { streamPrefixes: projectedStreamPrefixes },
      onEvent: (event) => this.enqueue(event),
      onError: (err) => void this.resubscribe(err),
    });
  }

  /**
   * The store connection broke: start again after what is planned. Events still buffered are
   * dropped (they come again), and the batch in flight is filtered against what is planned.
   */
  private async resubscribe(err: unknown): Promise<void> {
    this.error = err;
    this.log(`subscription ended: ${describe(err)}; resubscribing after what is planned`);
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
    this.wakeWriter?.();
    await this.loop;
    await this.writer;
  }

  status(): WorkerStatus {
    return {
      running: this.loop !== undefined && !this.stopping && this.error === undefined,
      checkpoint: this.checkpoint ? formatPosition(this.checkpoint) : null,
      lastEventAt: this.lastEventAt?.toISOString() ?? null,
      appliedEvents: this.appliedEvents,
      batches: this.batches,
      buffered: this.buffer.length,
      staged: this.options.applier.stagedCount,
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
        // Woken by the first event of a read: the subscription hands over the rest of it in
        // the same turn of the event loop, so a batch takes the whole read (a message and
        // its delivery, appended together, leave in one produce) rather than its first event.
        await new Promise((resolve) => setImmediate(resolve));
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
    const planned = this.planned;
    const untraced = planned ? events.filter((e) => comparePositions(e.position, planned) > 0) : events;
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
    const { applier } = this.options;
    const plan = await applier.plan(fresh);
    await this.options.publisher.publish(plan.notifications);
    await this.options.beforeWrite?.(plan.notifications.length);
    applier.stage(plan);
    this.planned = last.position;
    this.lastEventAt = last.createdAt;
    this.appliedEvents += fresh.length;
    this.batches += 1;
    this.writeBehind();
    // The writes fell far behind (the read store slow or away): planning waits for them, so
    // that memory stays bounded and the subscription is made to wait in turn.
    while (applier.stagedCount > this.maxStaged && this.writer) await this.writer;
  }

  private writeBehind(): void {
    this.writer ??= this.writeStaged().finally(() => {
      this.writer = undefined;
      // Staged after the writer's last look: it must not wait for the next batch.
      if (this.behind() && !this.stopping) this.writeBehind();
    });
  }

  /** Planned and not yet written. */
  private behind(): boolean {
    return this.planned !== undefined && (this.checkpoint === undefined || comparePositions(this.planned, this.checkpoint) > 0);
  }

  /**
   * Writes what is staged until nothing is, each write followed by its checkpoint. A failed
   * write is retried (its documents stay staged, the next write takes them with whatever
   * came meanwhile); while stopping it is given up, and the next start plans it again.
   */
  private async writeStaged(): Promise<void> {
    for (let delay = 100; this.behind(); ) {
      await this.spaced();
      try {
        const position = await this.options.applier.writeStaged();
        if (position === undefined) return;
        await this.options.beforeCheckpoint?.();
        await this.options.checkpoints.save(position);
        this.checkpoint = position;
        this.error = undefined;
        delay = 100;
      } catch (err) {
        this.error = err;
        if (this.stopping) return this.log(`writing the read models failed while stopping; the next start plans it again: ${describe(err)}`);
        this.log(`writing the read models failed, retrying in ${delay} ms: ${describe(err)}`);
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  /** Waits out the rest of the write interval; a stop cuts it short, so what is staged is written at once. */
  private async spaced(): Promise<void> {
    const wait = this.lastWriteStartedAt + this.writeIntervalMs - performance.now();
    if (wait > 0 && !this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wakeWriter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeWriter = undefined;
    }
    this.lastWriteStartedAt = performance.now();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
