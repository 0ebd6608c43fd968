import { ErrorMessage, type UserView } from '@chat/contracts';
import type { ReadModelQueries } from '@chat/projections/read-models';
import { AccessTokens, type TokenCheck, tokenFrom } from '@chat/runtime';

export type Authentication = { readonly ok: true; readonly user: UserView } | { readonly ok: false; readonly message: string };

/**
 * Token, then user: a valid token for a user the system does not know is refused with the
 * contract's "User not found". Known users are remembered (a registered user stays
 * registered); unknown ones are looked up again each time, so a user registered a moment
 * ago can connect at once.
 */
export class Authenticator {
  private readonly known = new Map<string, UserView>();

  constructor(
    private readonly tokens: AccessTokens,
    private readonly queries: ReadModelQueries,
    private readonly maxKnown = 50_000,
  ) {}

  /** `verified`: the same credentials' token check, when the request was checked already (REST rate limit). */
  async authenticate(authToken: unknown, authorization: unknown, verified?: TokenCheck): Promise<Authentication> {
    const check = verified ?? this.tokens.verify(tokenFrom(authToken, authorization));
    if (!check.ok) return check;
    const cached = this.known.get(check.userId);
    if (cached) return { ok: true, user: cached };
    const user = await this.queries.userById(check.userId);
    if (!user) return { ok: false, message: ErrorMessage.AuthUserNotFound };
    if (this.known.size >= this.maxKnown) this.known.clear();
    this.known.set(check.userId, user);
    return { ok: true, user };
  }
}
