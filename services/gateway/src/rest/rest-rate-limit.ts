import { ErrorMessage } from '@chat/contracts';
import type { NextFunction, Request, Response } from 'express';
import { AccessTokens, MEDIA_FILES_PATH, type TokenCheck, tokenFrom } from '@chat/runtime';
import type { GatewayConfig } from '../config/gateway-config';
import { tokenBucket } from '../config/token-bucket';
import { adminKeyCheck } from './rest-auth';

/** A request whose `Authorization` token the rate limit has verified already. */
export type TokenCheckedRequest = Request & { tokenCheck?: TokenCheck };

/**
 * 429 for a caller over its budget: `burst` requests at once, `perSecond` on average. A
 * caller is the user of a valid token, else its address: one user's flood does not cost
 * others theirs, and made-up or re-spelt headers buy no fresh budget. Health checks and the
 * identity service's registrations (valid admin key) are not counted.
 */
export function restRateLimit(config: GatewayConfig): (req: Request, res: Response, next: NextFunction) => void {
  const tokens = new AccessTokens(config.jwtSecret);
  const isAdmin = adminKeyCheck(config.adminApiKey);
  const limiter = tokenBucket(config.restRequestsPerSecond, config.restRequestsBurst);
  return (req, res, next) => {
    if (req.path === '/health' || req.path === '/api/health' || req.path.startsWith('/socket.io')) return next();
    // Files are fetched by <img> and <video> tags, many per screen and without a token;
    // they are immutable and cached, and cost the gateway a stream, not a query.
    if (req.path.startsWith(MEDIA_FILES_PATH) && (req.method === 'GET' || req.method === 'HEAD')) return next();
    // The identity service registering users holds the admin key and is not throttled; a
    // wrong key is throttled by address like any anonymous caller (no cheap key guessing).
    if (isAdmin(req.headers['x-admin-key'])) return next();
    const check = tokens.verify(tokenFrom(undefined, req.headers.authorization));
    // The user guard, if the route has one, takes this check instead of verifying again.
    (req as TokenCheckedRequest).tokenCheck = check;
    const caller = check.ok ? `user:${check.userId}` : `address:${req.ip ?? 'unknown'}`;
    limiter.consume(caller).then(
      () => next(),
      () => res.status(429).json({ success: false, message: ErrorMessage.TooManyRequests }),
    );
  };
}
