import { RateLimiterMemory } from 'rate-limiter-flexible';

/**
 * A bucket of `burst` points refilled over burst / rate seconds: short bursts pass (opening
 * a chat joins rooms and marks messages read at once), a sustained flood does not.
 */
export function tokenBucket(perSecond: number, burst: number): RateLimiterMemory {
  return new RateLimiterMemory({ points: burst, duration: Math.max(1, Math.round(burst / Math.max(1, perSecond))) });
}
