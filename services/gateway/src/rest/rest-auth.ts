import { ErrorMessage, type UserView } from '@chat/contracts';
import { type CanActivate, createParamDecorator, type ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { Authenticator } from '../auth/authenticator';
import { ReadYourWrites } from '../consistency/read-your-writes';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { RestError } from './rest-errors';
import type { TokenCheckedRequest } from './rest-rate-limit';

type AuthenticatedRequest = TokenCheckedRequest & { user?: UserView };

/** Set on a response that could not wait for the read models: what it waited for, in vain. */
export const READ_MODELS_BEHIND_HEADER = 'X-Read-Models-Behind';

/**
 * `Authorization: Bearer <jwt>` for a registered user; 401 with the socket's wording otherwise.
 * Then read-your-writes: the request goes on once the read models show everything the caller
 * was told of or had accepted (ReadYourWrites), or after at most about a second, saying so.
 */
@Injectable()
export class UserGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const result = await this.authenticator.authenticate(undefined, request.headers.authorization, request.tokenCheck);
    if (!result.ok) throw new RestError(HttpStatus.UNAUTHORIZED, result.message);
    request.user = result.user;
    const settled = await this.readYourWrites.settle(result.user._id);
    if (!settled.caughtUp && settled.wanted !== undefined) context.switchToHttp().getResponse<Response>().setHeader(READ_MODELS_BEHIND_HEADER, settled.wanted);
    return true;
  }
}

/** The caller a {@link UserGuard} let through. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): UserView => {
  const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new RestError(HttpStatus.UNAUTHORIZED, ErrorMessage.AuthTokenRequired);
  return user;
});

/** Whether a header value is the admin key, compared in constant time. */
export function adminKeyCheck(adminApiKey: string): (given: unknown) => boolean {
  const expected = Buffer.from(adminApiKey);
  return (given) => {
    const key = Buffer.from(typeof given === 'string' ? given : '');
    return key.length === expected.length && timingSafeEqual(key, expected);
  };
}

/** `X-Admin-Key` required. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly isAdmin: (given: unknown) => boolean;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.isAdmin = adminKeyCheck(config.adminApiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.isAdmin(context.switchToHttp().getRequest<Request>().headers['x-admin-key'])) {
      throw new RestError(HttpStatus.UNAUTHORIZED, ErrorMessage.InvalidAdminKey);
    }
    return true;
  }
}
