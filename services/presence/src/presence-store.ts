import { userSocketsKey } from '@chat/runtime';
import type { Redis } from 'ioredis';

/**
 * Presence state in Redis, shared by every presence instance. Each change is one Lua script,
 * so a transition (first socket: online; last socket gone, after the grace period: offline)
 * is decided once however many instances race:
 *
 *   user:<id>          set of "<gateway>|<socket>"  the user's live sockets
 *   gw:<id>            set of "<user>|<socket>"     the sockets a gateway reported
 *   gw-alive:<id>      string with a TTL            the gateway's last heartbeat
 *   gateways           set of gateway ids           gateways with sockets or heartbeats
 *   online             set of user ids              users announced online
 *   offline-due        sorted set user → due ms     users whose last socket went, awaiting the grace period
 *   seq:<id>           counter                      transitions of a user, for dedupe keys
 */
export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('presenceConnect', {
      numberOfKeys: 7,
      // KEYS: user, gw, gateways, online, offline-due, seq, gw-alive. ARGV: userId, gatewayId,
      // socketId, gateway ttl. A connect may arrive before the gateway's first heartbeat
      // (other partition): it counts as one, so the sweep does not take the gateway for dead.
      lua: `
        redis.call('SET', KEYS[7], '1', 'PX', ARGV[4], 'NX')
        redis.call('SADD', KEYS[1], ARGV[2] .. '|' .. ARGV[3])
        redis.call('SADD', KEYS[2], ARGV[1] .. '|' .. ARGV[3])
        redis.call('SADD', KEYS[3], ARGV[2])
        redis.call('ZREM', KEYS[5], ARGV[1])
        if redis.call('SADD', KEYS[4], ARGV[1]) == 1 then
          return redis.call('INCR', KEYS[6])
        end
        return 0`,
    });
    redis.defineCommand('presenceDisconnect', {
      numberOfKeys: 3,
      // KEYS: user, gw, offline-due. ARGV: userId, gatewayId, socketId, due ms.
      lua: `
        redis.call('SREM', KEYS[1], ARGV[2] .. '|' .. ARGV[3])
        redis.call('SREM', KEYS[2], ARGV[1] .. '|' .. ARGV[3])
        local left = redis.call('SCARD', KEYS[1])
        if left == 0 then redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[1]) end
        return left`,
    });
    redis.defineCommand('presenceGoOffline', {
      numberOfKeys: 4,
      // KEYS: user, online, offline-due, seq. ARGV: userId.
      lua: `
        redis.call('ZREM', KEYS[3], ARGV[1])
        if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
        if redis.call('SREM', KEYS[2], ARGV[1]) == 1 then
          return redis.call('INCR', KEYS[4])
        end
        return 0`,
    });
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Records a socket; returns the transition number when this made the user online, else 0. */
  async connect(userId: string, gatewayId: string, socketId: string, gatewayTtlMs: number): Promise<number> {
    const run = (this.redis as unknown as Commands).presenceConnect;
    return run.call(
      this.redis,
      userSocketsKey(this.prefix, userId),
      this.key(`gw:${gatewayId}`),
      this.key('gateways'),
      this.key('online'),
      this.key('offline-due'),
      this.key(`seq:${userId}`),
      this.key(`gw-alive:${gatewayId}`),
      userId,
      gatewayId,
      socketId,
      String(gatewayTtlMs),
    );
  }

  /** Forgets a socket; returns how many the user has left (0: offline at `dueAt`, epoch ms, unless a new one comes). */
  async disconnect(userId: string, gatewayId: string, socketId: string, dueAt: number): Promise<number> {
    const run = (this.redis as unknown as Commands).presenceDisconnect;
    return run.call(
      this.redis,
      userSocketsKey(this.prefix, userId),
      this.key(`gw:${gatewayId}`),
      this.key('offline-due'),
      userId,
      gatewayId,
      socketId,
      String(dueAt),
    );
  }

  async heartbeat(gatewayId: string, ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(this.key(`gw-alive:${gatewayId}`), '1', 'PX', ttlMs)
      .sadd(this.key('gateways'), gatewayId)
      .exec();
  }

  /** Users whose grace period has run out. */
  async dueOffline(now = Date.now()): Promise<string[]> {
    return this.redis.zrangebyscore(this.key('offline-due'), 0, now, 'LIMIT', 0, 500);
  }

  /** When the earliest grace period still running ends (epoch ms), if any does. */
  async nextOfflineDue(): Promise<number | undefined> {
    const [, score] = await this.redis.zrange(this.key('offline-due'), 0, 0, 'WITHSCORES');
    return score === undefined ? undefined : Number(score);
  }

  /** Takes the user offline if they still have no socket; returns the transition number, or 0. */
  async goOffline(userId: string): Promise<number> {
    const run = (this.redis as unknown as Commands).presenceGoOffline;
    return run.call(
      this.redis,
      userSocketsKey(this.prefix, userId),
      this.key('online'),
      this.key('offline-due'),
      this.key(`seq:${userId}`),
      userId,
    );
  }

  /** Gateways whose heartbeat has expired, with the sockets they had reported. */
  async deadGateways(): Promise<{ gatewayId: string; sockets: { userId: string; socketId: string }[] }[]> {
    const gateways = await this.redis.smembers(this.key('gateways'));
    const dead: { gatewayId: string; sockets: { userId: string; socketId: string }[] }[] = [];
    for (const gatewayId of gateways) {
      if ((await this.redis.exists(this.key(`gw-alive:${gatewayId}`))) === 1) continue;
      const members = await this.redis.smembers(this.key(`gw:${gatewayId}`));
      dead.push({
        gatewayId,
        sockets: members.map((member) => {
          const [userId = '', socketId = ''] = member.split('|');
          return { userId, socketId };
        }),
      });
    }
    return dead;
  }

  /**
   * Drops a dead gateway once the sockets read from it have been disconnected. Only those:
   * a report that arrived meanwhile stays, and so does the gateway while it has sockets or
   * has come back to life.
   */
  async forgetGateway(gatewayId: string, sockets: readonly { userId: string; socketId: string }[]): Promise<void> {
    const members = sockets.map(({ userId, socketId }) => `${userId}|${socketId}`);
    if (members.length > 0) await this.redis.srem(this.key(`gw:${gatewayId}`), ...members);
    const [left, alive] = await Promise.all([this.redis.scard(this.key(`gw:${gatewayId}`)), this.redis.exists(this.key(`gw-alive:${gatewayId}`))]);
    if (left === 0 && alive === 0) await this.redis.srem(this.key('gateways'), gatewayId);
  }
}

interface Commands {
  presenceConnect: (...args: string[]) => Promise<number>;
  presenceDisconnect: (...args: string[]) => Promise<number>;
  presenceGoOffline: (...args: string[]) => Promise<number>;
}
