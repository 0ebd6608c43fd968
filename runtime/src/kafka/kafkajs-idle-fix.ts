import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 keeps every broker connection's request queue busy while idle: after each
 * check for pending requests it schedules the next one, and with nothing pending and no
 * throttling the delay it computes is negative (`throttledUntil` is -1 minus the time), so the
 * check runs again at once, about a thousand times a second per connection (kafkajs issues
 * #1556 and #1704, the fix never released; on Node 24 each of those timers also prints a
 * TimeoutNegativeWarning, issue #1751). Measured here: about 0.02 of a core per idle service.
 *
 * The check is only needed while a request waits (to send it when an in-flight slot frees
 * or a throttle ends) or while throttled; otherwise the next request or answer triggers it
 * anyway. This replaces the scheduling with exactly that and nothing else, once per process,
 * and only on the version whose code it was read against.
 */

const PATCHED_VERSION = '2.2.4';
/** kafkajs's own pause between two checks while requests wait. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

let applied: boolean | undefined;

/** Whether the fix is in place (false: another kafkajs version, left as it is). */
export function fixKafkajsIdleLoop(): boolean {
  if (applied !== undefined) return applied;
  const requireFromKafkajs = createRequire(require.resolve('kafkajs'));
  const { version } = requireFromKafkajs('./package.json') as { version: string };
  if (version !== PATCHED_VERSION) return (applied = false);
  const RequestQueue = requireFromKafkajs('./src/network/requestQueue') as { prototype: RequestQueueInternals };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.throttleCheckTimeoutId) return;
    const throttledForMs = this.throttledUntil - Date.now();
    // Nothing waits and nothing is throttled: the next push or answer checks again.
    if (this.pending.length === 0 && throttledForMs <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledForMs > 0 ? throttledForMs : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
  return (applied = true);
}

/** The patched class, for its test. */
export function kafkajsRequestQueue(): new (options: Record<string, unknown>) => RequestQueueInternals {
  return createRequire(require.resolve('kafkajs'))('./src/network/requestQueue') as new (options: Record<string, unknown>) => RequestQueueInternals;
}
