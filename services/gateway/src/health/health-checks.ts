import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';

export interface HealthReport {
  readonly status: 'ok' | 'error';
  readonly gatewayId: string;
  readonly checks: Record<string, { readonly ok: boolean; readonly detail?: string }>;
  /** The parts that are not ready, by name. */
  readonly failing: string[];
}

export interface HealthDependencies {
  readonly gatewayId: string;
  readonly kafka: () => boolean;
  readonly mongo: Db;
  readonly redis: Redis;
  /** The Socket.IO adapter's subscriber: without it, other gateways' broadcasts stop arriving. */
  readonly redisSubscriber: Redis;
  readonly serviceHealthUrls: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * `GET /health`: ready only when every dependency answers and every service behind this
 * gateway reports itself healthy. Each check is bounded, so a hung dependency makes the
 * answer 503, not slow.
 */
export async function checkHealth(deps: HealthDependencies): Promise<HealthReport> {
  const timeoutMs = deps.timeoutMs ?? 1_500;
  const bounded = async (probe: () => Promise<unknown>): Promise<{ ok: boolean; detail?: string }> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  };
  const service = (url: string) => async (): Promise<void> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  };
  const entries: [string, Promise<{ ok: boolean; detail?: string }>][] = [
    ['kafka', Promise.resolve(deps.kafka() ? { ok: true } : { ok: false, detail: 'consumers have not joined their groups' })],
    ['mongodb', bounded(() => deps.mongo.command({ ping: 1 }))],
    [
      'redis',
      deps.redisSubscriber.status === 'ready'
        ? bounded(() => deps.redis.ping())
        : Promise.resolve({ ok: false, detail: `subscriber ${deps.redisSubscriber.status}` }),
    ],
    ...Object.entries(deps.serviceHealthUrls).map(([name, url]): [string, Promise<{ ok: boolean; detail?: string }>] => [
      name,
      bounded(service(url)),
    ]),
  ];
  const checks: HealthReport['checks'] = {};
  for (const [name, result] of entries) checks[name] = await result;
  const failing = Object.entries(checks)
    .filter(([, check]) => !check.ok)
    .map(([name]) => name);
  return { status: failing.length === 0 ? 'ok' : 'error', gatewayId: deps.gatewayId, checks, failing };
}
