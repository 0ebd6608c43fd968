import type { EventStore, GlobalPosition, RecordedEvent, SubscribeToAllOptions } from '@chat/runtime';
import type { NotificationPublisher } from './notification-publisher';
import { ProjectionWorker } from './projection-worker';
import type { BatchPlan, ReadModelApplier } from './read-model-applier';

/** One event at position n, enough for the worker (it only reads positions and metadata). */
function eventAt(n: number): RecordedEvent {
  const position = { commit: BigInt(n), prepare: BigInt(n) };
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    streamName: 'conversation-1',
    revision: BigInt(n),
    position,
    type: 'MessageSent',
    data: {},
    metadata: { commandId: 'c', correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1, occurredAt: new Date().toISOString() },
    createdAt: new Date(),
  } as unknown as RecordedEvent;
}

interface Write {
  readonly at: number;
  readonly upTo: bigint;
  readonly plans: number;
}

/** Stages plans in memory and records each write: when, how many plans, up to which position. */
class RecordingApplier implements ReadModelApplier {
  readonly writes: Write[] = [];
  /** Events in each planned batch. */
  readonly batches: number[] = [];
  private staged: { plans: number; upTo: GlobalPosition | undefined } = { plans: 0, upTo: undefined };
  private planned: GlobalPosition | undefined;

  plan(events: readonly RecordedEvent[]): Promise<BatchPlan> {
    this.batches.push(events.length);
    this.planned = events[events.length - 1]?.position;
    return Promise.resolve({ notifications: [] });
  }

  stage(): void {
    this.staged = { plans: this.staged.plans + 1, upTo: this.planned };
  }

  get stagedCount(): number {
    return this.staged.plans;
  }

  writeStaged(): Promise<GlobalPosition | undefined> {
    const { plans, upTo } = this.staged;
    if (upTo === undefined) return Promise.resolve(undefined);
    this.staged = { plans: 0, upTo: undefined };
    this.writes.push({ at: performance.now(), upTo: upTo.commit, plans });
    return Promise.resolve(upTo);
  }
}

/** A store whose one subscription is fed by the test. */
function feedableStore(): { store: EventStore; feed: (event: RecordedEvent) => Promise<void> } {
  let onEvent: SubscribeToAllOptions['onEvent'] | undefined;
  const store = {
    subscribeToAll: (options: SubscribeToAllOptions) => {
      onEvent = options.onEvent;
      return Promise.resolve({ position: { commit: 0n, prepare: 0n }, close: () => Promise.resolve() });
    },
  } as unknown as EventStore;
  return {
    store,
    feed: async (event) => {
      if (!onEvent) throw new Error('not subscribed');
      await onEvent(event);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(2);
  }
}

describe('ProjectionWorker write interval', () => {
  function worker(writeIntervalMs: number) {
    const { store, feed } = feedableStore();
    const applier = new RecordingApplier();
    const checkpoints: bigint[] = [];
    const published: number[] = [];
    const projectionWorker = new ProjectionWorker({
      store,
      applier,
      checkpoints: {
        load: () => Promise.resolve(undefined),
        save: (position) => {
          checkpoints.push(position.commit);
          return Promise.resolve();
        },
      },
      publisher: { publish: (notifications: readonly unknown[]) => Promise.resolve(void published.push(notifications.length)) } as unknown as NotificationPublisher,
      log: () => undefined,
      writeIntervalMs,
    });
    return { projectionWorker, applier, checkpoints, feed };
  }

  it('writes the first batch at once, and what arrives within the interval after it in one later write', async () => {
    const { projectionWorker, applier, checkpoints, feed } = worker(300);
    await projectionWorker.start();
    const started = performance.now();
    await feed(eventAt(1));
    await until(() => applier.writes.length === 1);
    expect((applier.writes[0]?.at ?? Infinity) - started).toBeLessThan(150);

    for (const n of [2, 3, 4]) {
      await feed(eventAt(n));
      await sleep(20);
    }
    // Planned (and published) at once, written only once the interval since the first write is over.
    expect(applier.writes).toHaveLength(1);
    await until(() => applier.writes.length === 2);
    const [first, second] = applier.writes;
    expect((second?.at ?? 0) - (first?.at ?? Infinity)).toBeGreaterThanOrEqual(290);
    expect(second?.upTo).toBe(4n);
    expect(second?.plans).toBeGreaterThanOrEqual(1);
    await until(() => checkpoints.includes(4n));
    await projectionWorker.stop();
  });

  it('a stop during the interval writes what is staged at once', async () => {
    const { projectionWorker, applier, checkpoints, feed } = worker(10_000);
    await projectionWorker.start();
    await feed(eventAt(1));
    await until(() => applier.writes.length === 1);
    await feed(eventAt(2));
    await sleep(20);
    expect(applier.writes).toHaveLength(1);
    const stopping = performance.now();
    await projectionWorker.stop();
    expect(performance.now() - stopping).toBeLessThan(1_000);
    expect(applier.writes.map((write) => write.upTo)).toEqual([1n, 2n]);
    expect(checkpoints).toEqual([1n, 2n]);
  });

  it('without an interval each batch is written as soon as the write before it is done', async () => {
    const { projectionWorker, applier, feed } = worker(0);
    await projectionWorker.start();
    await feed(eventAt(1));
    await until(() => applier.writes.length === 1);
    await feed(eventAt(2));
    await until(() => applier.writes.length === 2, 100);
    await projectionWorker.stop();
  });

  it('events a subscription hands over in one go are planned as one batch', async () => {
    const { projectionWorker, applier, feed } = worker(0);
    await projectionWorker.start();
    // As a subscription delivers a read: one event after another, each awaited, no pause between.
    for (const n of [1, 2, 3]) await feed(eventAt(n));
    await until(() => applier.writes.some((write) => write.upTo === 3n));
    expect(applier.batches).toEqual([3]);
    await projectionWorker.stop();
  });
});
