import {
  CommandType,
  ErrorMessage,
  type RestResponse,
  type UserView,
  directConversationId,
  parseWith,
  registerUserBodySchema,
  toObjectId,
} from '@chat/contracts';
import type { ReadModelQueries } from '@chat/projections/read-models';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ObjectId } from 'mongodb';
import { READ_MODELS } from './read-models.token';
import { RestError } from './rest-errors';
import { AdminKeyGuard, CurrentUser, UserGuard } from './rest-auth';
import { WriteRequests, parsedOrBadRequest } from './write-requests';

@Controller('api/users')
export class UsersController {
  constructor(
    @Inject(READ_MODELS) private readonly queries: ReadModelQueries,
    private readonly writes: WriteRequests,
  ) {}

  /** The identity service's hook: registers a user (201), or repeats a registration (200). */
  @Post()
  @UseGuards(AdminKeyGuard)
  async register(@Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<RestResponse<UserView>> {
    const { name, profileImage, _id } = parsedOrBadRequest(parseWith(registerUserBodySchema, body));
    const userId = _id ?? new ObjectId().toHexString();
    const accepted = await this.writes.run(userId, { type: CommandType.RegisterUser, data: { userId, name, profileImage } });
    const user = await this.writes.readYourWrite(() => this.queries.userById(userId), (found) => found !== null);
    response.status(accepted.result.duplicate ? HttpStatus.OK : HttpStatus.CREATED);
    return { success: true, data: user as UserView };
  }

  @Get('me')
  @UseGuards(UserGuard)
  async me(@CurrentUser() caller: UserView): Promise<RestResponse<UserView>> {
    return { success: true, data: (await this.queries.userById(caller._id)) ?? caller };
  }

  /** The caller blocks `:userId`; blocking again changes nothing. */
  @Post(':userId/block')
  @HttpCode(HttpStatus.OK)
  @UseGuards(UserGuard)
  async block(@CurrentUser() caller: UserView, @Param('userId') target: string): Promise<RestResponse<{ userId: string; blocked: boolean }>> {
    const blockedUserId = await this.registered(target);
    await this.writes.run(caller._id, {
      type: CommandType.BlockUser,
      data: { conversationId: directConversationId(caller._id, blockedUserId), userId: caller._id, blockedUserId },
    });
    return { success: true, data: { userId: blockedUserId, blocked: true } };
  }

  @Delete(':userId/block')
  @UseGuards(UserGuard)
  async unblock(@CurrentUser() caller: UserView, @Param('userId') target: string): Promise<RestResponse<{ userId: string; blocked: boolean }>> {
    const blockedUserId = await this.registered(target);
    await this.writes.run(caller._id, {
      type: CommandType.UnblockUser,
      data: { conversationId: directConversationId(caller._id, blockedUserId), userId: caller._id, blockedUserId },
    });
    return { success: true, data: { userId: blockedUserId, blocked: false } };
  }

  private async registered(userId: string): Promise<string> {
    const id = toObjectId(userId);
    if (id === undefined || (await this.queries.userById(id)) === null) throw new RestError(HttpStatus.NOT_FOUND, ErrorMessage.UserNotFound);
    return id;
  }
}
