import { Client, type Notification, type PoolConfig } from 'pg';
import {
  type AllFilter,
  comparePositions,
  type GlobalPosition,
  type RecordedEvent,
  startOfAll,
  type SubscribeToAllOptions,
  type Subscription,
} from './event-store';
import type { AllReader } from './postgres-event-store';

/** Events per catch-up read. */
const PAGE_SIZE = 1000;
/**
 * After a notification whose transaction the watermark has not passed yet (an older
 * transaction is still open), re-read after this long, doubling up to MAX_RECHECK_MS.
 */
const MIN_RECHECK_MS = 2;
const MAX_RECHECK_MS = 100;
/**
 * Read anyway when nothing was heard for this long: the watermark can be held back by a
 * transaction that is not an append and so never notifies when it ends, and whatever else
 * keeps a notification from arriving must cost latency, not events.
 */
const SAFETY_POLL_MS = 1000;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

interface StartOptions {
  readonly reader: AllReader;
  readonly listenerConfig: PoolConfig;
  readonly channel: string;
  readonly options: SubscribeToAllOptions;
  readonly onClosed: (subscription: PostgresSubscription) => void;
}

/**
 * Catch-up, then live, subscription to all events of the PostgreSQL store. Reads go through
 * the store's pool; a dedicated connection LISTENs for the append notifications, which wake
 * the reader instead of a poll. A notification carries the appending transaction's id:
 * while the watermark (see postgres-event-store.ts) has not passed it, its events are not
 * readable yet, so the reader re-checks after a few milliseconds rather than waiting for
 * the next notification, which may never come.
 *
 * A failure (a read, the listener connection, or onEvent throwing) ends the subscription and
 * reaches onError once; the owner resubscribes from its checkpoint.
 */
export class PostgresSubscription implements Subscription {
  private currentPosition: GlobalPosition;
  /** Where the next read starts; runs ahead of `position` past events the filter dropped. */
  private cursor: GlobalPosition;
  private closed = false;
  /** A notification arrived since the last read started. */
  private notified = false;
  /** The newest notified transaction id that the watermark had not passed at the last read. */
  private pendingTransaction: bigint | undefined;
  private wake: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private released = false;

  private constructor(
    private readonly reader: AllReader,
    private readonly listener: Client,
    private readonly filter: AllFilter | undefined,
    private readonly onEvent: (event: RecordedEvent) => Promise<void>,
    private readonly onError: ((error: unknown) => void) | undefined,
    private readonly onClosed: (subscription: PostgresSubscription) => void,
    after: GlobalPosition,
    private readonly readIntervalMs: number,
  ) {
    this.currentPosition = after;
    this.cursor = after;
  }

  static async start({ reader, listenerConfig, channel, options, onClosed }: StartOptions): Promise<PostgresSubscription> {
    // Keepalive, so a peer that vanished without closing (a NAT or failover dropping an idle
    // connection) ends the subscription instead of silently starving it of notifications.
    const listener = new Client({ ...listenerConfig, keepAlive: true });
    const subscription = new PostgresSubscription(
      reader,
      listener,
      options.filter,
      options.onEvent,
      options.onError,
      onClosed,
      options.after ?? startOfAll,
      options.readIntervalMs ?? 0,
    );
    listener.on('notification', (message) => subscription.notice(message));
    listener.on('error', (error) => subscription.fail(error));
    listener.on('end', () => subscription.fail(new Error('event store subscription: the LISTEN connection closed')));
    try {
      await listener.connect();
      // Listening before the first read: an append that commits during catch-up is heard.
      await listener.query(`LISTEN ${channel}`);
    } catch (error) {
      subscription.closed = true;
      await listener.end().catch(() => undefined);
      throw error;
    }
    subscription.running = subscription.run();
    return subscription;
  }

  get position(): GlobalPosition {
    return this.currentPosition;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.wake?.();
    }
    await this.running;
    await this.release();
  }

  private notice(message: Notification): void {
    this.notified = true;
    if (message.payload && /^\d+$/.test(message.payload)) {
      const transaction = BigInt(message.payload);
      if (this.pendingTransaction === undefined || transaction > this.pendingTransaction) this.pendingTransaction = transaction;
    }
    this.wake?.();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    void this.running.then(() => this.release());
    this.onError?.(error);
  }

  private async run(): Promise<void> {
    let recheckMs = MIN_RECHECK_MS;
    let caughtUpAt: number | undefined;
    try {
      while (!this.closed) {
        // Woken again soon after catching up: what came meanwhile is read in one go once the interval is over.
        if (caughtUpAt !== undefined) await this.pause(caughtUpAt + this.readIntervalMs - performance.now());
        caughtUpAt = undefined;
        this.notified = false;
        const page = await this.reader.readPage(this.cursor, PAGE_SIZE, this.filter);
        for (const event of page.events) {
          if (this.closed) return;
          await this.onEvent(event);
          this.currentPosition = event.position;
          this.cursor = event.position;
        }
        if (page.events.length === PAGE_SIZE) continue;
        if (this.readIntervalMs > 0) caughtUpAt = performance.now();

        // Caught up with everything below the watermark, the filtered-out events included:
        // the next read can start at the watermark instead of rescanning them.
        const floor = { commit: page.watermark - 1n, prepare: MAX_BIGINT };
        if (comparePositions(floor, this.cursor) > 0) this.cursor = floor;
        if (this.pendingTransaction !== undefined && this.pendingTransaction < page.watermark) this.pendingTransaction = undefined;

        if (this.notified) continue;
        if (this.pendingTransaction !== undefined) {
          await this.sleep(recheckMs);
          recheckMs = Math.min(recheckMs * 2, MAX_RECHECK_MS);
        } else {
          recheckMs = MIN_RECHECK_MS;
          await this.sleep(SAFETY_POLL_MS);
        }
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Resolves after `ms` whatever arrives meanwhile, or sooner when the subscription closes. */
  private async pause(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (!this.closed && performance.now() < until) await this.sleep(until - performance.now());
  }

  /** Resolves after `ms`, or sooner when a notification arrives or the subscription closes. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.wake = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).then(() => {
      this.wake = undefined;
    });
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.listener.removeAllListeners('end');
    // A late socket error after end() must not be unhandled.
    this.listener.on('error', () => undefined);
    await this.listener.end().catch(() => undefined);
    this.onClosed(this);
  }
}
