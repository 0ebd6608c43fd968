import { ErrorMessage } from '@chat/contracts';
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export type TokenCheck = { readonly ok: true; readonly userId: string } | { readonly ok: false; readonly message: string };

/**
 * The token of a Socket.IO handshake or a REST request: `auth.token` first, else an
 * `Authorization: Bearer …` header (API contract, "Identity").
 */
export function tokenFrom(authToken: unknown, authorization: unknown): string | undefined {
  if (typeof authToken === 'string' && authToken.trim() !== '') return authToken.trim();
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
  return match?.[1];
}

/**
 * Verifies access tokens issued by the identity service: HS256 only (an explicit allow-list,
 * so `alg: none` and every other algorithm are refused), signature, expiry and not-before.
 * The user id is the claim `sub`, else `userId`, else `id`.
 */
export class AccessTokens {
  /**
   * The key, made once: given a string, jsonwebtoken first tries to read it as a PEM public
   * key on every call, and building the exception that fails with was a tenth of the gateway's busy time
   * in a profile of the reads benchmark.
   */
  private readonly secret: KeyObject;

  constructor(secret: string) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  verify(token: string | undefined): TokenCheck {
    if (token === undefined) return { ok: false, message: ErrorMessage.AuthTokenRequired };
    let claims: unknown;
    try {
      claims = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
    } catch {
      return { ok: false, message: ErrorMessage.AuthInvalidToken };
    }
    const userId = userIdOf(claims);
    return userId === undefined ? { ok: false, message: ErrorMessage.AuthInvalidToken } : { ok: true, userId };
  }

  /** For the README's tour and tests: what the identity service would issue. */
  sign(userId: string, expiresInSeconds = 3600): string {
    return jwt.sign({ sub: userId }, this.secret, { algorithm: 'HS256', expiresIn: expiresInSeconds });
  }
}

function userIdOf(claims: unknown): string | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const record = claims as Record<string, unknown>;
  for (const claim of ['sub', 'userId', 'id']) {
    const value = record[claim];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export const DEV_JWT_SECRET = 'dev-secret';

/**
 * JWT_SECRET, shared by every service that checks tokens (gateway, media). The development
 * default is refused when NODE_ENV=production.
 */
export function jwtSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const secret = env.JWT_SECRET?.trim() || DEV_JWT_SECRET;
  if (env.NODE_ENV === 'production' && secret === DEV_JWT_SECRET) {
    throw new Error('JWT_SECRET is the development default; set a secret of your own when NODE_ENV=production');
  }
  return secret;
}
