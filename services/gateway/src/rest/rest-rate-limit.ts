import { ErrorMessage } from '@chat/contracts';
import type { NextFunction, Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { GatewayConfig } from '../config/gateway-config';

/**
 * 429 for a caller over its budget: `burst` requests at once, `perSecond` on average. A
 * caller is its bearer token (hashed: tokens are never kept or logged as they are), else its
 * address, so one user's flood does not cost others theirs. Health checks are not counted.
 */
export function restRateLimit(config: GatewayConfig): (req: Request, res: Response, next: NextFunction) => void {
  const limiter = new RateLimiterMemory({
    points: config.restRequestsBurst,
    duration: Math.max(1, Math.round(config.restRequestsBurst / Math.max(1, config.restRequestsPerSecond))),
  });
  return (req, res, next) => {
    if (req.path === '/health' || req.path === '/api/health' || req.path.startsWith('/socket.io')) return next();
    const authorization = req.headers.authorization;
    const caller =
      typeof authorization === 'string' && authorization !== ''
        ? `token:${createHash('sha256').update(authorization).digest('base64url')}`
        : `address:${req.ip ?? 'unknown'}`;
    limiter.consume(caller).then(
      () => next(),
      () => res.status(429).json({ success: false, message: ErrorMessage.TooManyRequests }),
    );
  };
}
