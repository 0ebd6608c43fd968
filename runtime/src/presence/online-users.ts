import { Redis } from 'ioredis';
import { reportRedisOutages } from '../redis/redis-outages';

/** The prefix of presence's Redis keys (PRESENCE_KEY_PREFIX), the same for its writer and its readers. */
export function presenceKeyPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRESENCE_KEY_PREFIX?.trim() || 'presence:';
}

/** Presence's key of a user's live sockets: a set of "<gateway>|<socket>", written by presence only. */
export function userSocketsKey(prefix: string, userId: string): string {
  return `${prefix}user:${userId}`;
}

/** Whether users have a live socket now, on any gateway (a grace period after the last one closed does not count). */
export interface OnlineLookup {
  hasSockets(userIds: readonly string[]): Promise<boolean[]>;
}

/** Reads presence's record of live sockets: one pipelined round trip for any number of users. */
export class OnlineUsers implements OnlineLookup {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hasSockets(userIds: readonly string[]): Promise<boolean[]> {
    if (userIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.scard(userSocketsKey(this.prefix, userId));
    const results = (await pipeline.exec()) ?? [];
    return userIds.map((_, index) => {
      const [err, count] = results[index] ?? [new Error('no reply'), 0];
      if (err) throw err;
      return Number(count) > 0;
    });
  }
}

/**
 * A reader of presence for a service off presence's own path (the write side asking who is
 * online as a message is sent): it fails fast while Redis is away rather than queueing, and
 * its caller carries on without the answer.
 */
export function connectOnlineUsers(url: string, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): { online: OnlineUsers; close: () => void } {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  reportRedisOutages(redis, 'presence reader', log);
  return { online: new OnlineUsers(redis, presenceKeyPrefix(env)), close: () => redis.disconnect() };
}
