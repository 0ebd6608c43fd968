import type { Redis } from 'ioredis';

/**
 * ioredis reconnects by itself; without an `error` listener each failed attempt is an
 * "Unhandled error event" stack trace. This says it once per outage, and once when it ends.
 */
export function reportRedisOutages(client: Redis, name: string, log: (line: string) => void): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) log(`redis (${name}) unreachable: ${err.message}; reconnecting`);
    down = true;
  });
  client.on('ready', () => {
    if (down) log(`redis (${name}) reachable again`);
    down = false;
  });
}
