import {
  type ConversationView,
  type GroupPhotoView,
  CommandType,
  ErrorMessage,
  type MessagesPageView,
  type RestResponse,
  type UserView,
  addParticipantsBodySchema,
  createConversationBodySchema,
  directConversationId,
  messagesQuerySchema,
  parseWith,
  toObjectId,
  uploadedMediaSchema,
} from '@chat/contracts';
import type { ReadModelQueries } from '@chat/projections/read-models';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ObjectId } from 'mongodb';
import { MEDIA_UNAVAILABLE, MediaUploads, refusalMessage } from '../media/media-uploads';
import { ChatGateway } from '../socket/chat.gateway';
import { READ_MODELS } from './read-models.token';
import { RestError } from './rest-errors';
import { CurrentUser, UserGuard } from './rest-auth';
import { WriteRequests, parsedOrBadRequest } from './write-requests';

const UNKNOWN_IDS_SHOWN = 5;

@Controller('api/conversations')
@UseGuards(UserGuard)
export class ConversationsController {
  constructor(
    @Inject(READ_MODELS) private readonly queries: ReadModelQueries,
    private readonly writes: WriteRequests,
    private readonly chat: ChatGateway,
    private readonly media: MediaUploads,
  ) {}

  /**
   * One other participant and no name: the pair's direct conversation, created once (201) and
   * returned on later calls (200). Otherwise a group with the caller as its admin (201).
   */
  @Post()
  async create(
    @CurrentUser() caller: UserView,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RestResponse<ConversationView>> {
    const { participantIds, name } = parsedOrBadRequest(parseWith(createConversationBodySchema, body));
    const others = await this.registeredUsers(participantIds.filter((id) => toObjectId(id) !== caller._id));
    if (others.length === 0 && name === null) {
      const namedSelf = participantIds.some((id) => toObjectId(id) === caller._id);
      throw new RestError(
        HttpStatus.BAD_REQUEST,
        namedSelf ? ErrorMessage.CannotConverseWithSelf : 'participantIds must name at least one other user',
      );
    }
    let conversationId: string;
    let created: boolean;
    if (others.length === 1 && name === null) {
      const otherUserId = others[0] as string;
      conversationId = directConversationId(caller._id, otherUserId);
      const accepted = await this.writes.run(caller._id, {
        type: CommandType.CreateDirectConversation,
        data: { conversationId, creatorId: caller._id, otherUserId },
      });
      created = !accepted.result.duplicate;
    } else {
      conversationId = new ObjectId().toHexString();
      await this.writes.run(caller._id, {
        type: CommandType.CreateGroupConversation,
        data: { conversationId, creatorId: caller._id, name, participantIds: others },
      });
      created = true;
    }
    const conversation = await this.visible(conversationId, caller._id);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return { success: true, data: conversation };
  }

  @Get()
  async list(@CurrentUser() caller: UserView): Promise<RestResponse<ConversationView[]>> {
    return { success: true, data: await this.queries.conversationsOfUser(caller._id) };
  }

  @Get(':id')
  async detail(@CurrentUser() caller: UserView, @Param('id') id: string): Promise<RestResponse<ConversationView>> {
    return { success: true, data: await this.forParticipant(id, caller._id) };
  }

  /** Oldest to newest, ending just before `before` (or at the newest); `limit` at most 100. */
  @Get(':id/messages')
  async messages(
    @CurrentUser() caller: UserView,
    @Param('id') id: string,
    @Query() query: unknown,
  ): Promise<RestResponse<MessagesPageView>> {
    const parsed = parseWith(messagesQuerySchema, query);
    // One round of reads answers membership and the page; a bad query reads the smallest
    // page, since only membership is answered (404 and 403 come before 400).
    const options = parsed.success ? { limit: parsed.data.limit, ...(parsed.data.before === undefined ? {} : { before: parsed.data.before }) } : { limit: 1 };
    const lookup = await this.queries.messagesPageFor(id, caller._id, options);
    if (lookup.status === 'not_found') throw new RestError(HttpStatus.NOT_FOUND, ErrorMessage.ConversationNotFound);
    if (lookup.status === 'not_participant') throw new RestError(HttpStatus.FORBIDDEN, ErrorMessage.NotAParticipant);
    parsedOrBadRequest(parsed);
    return { success: true, data: lookup.page };
  }

  /** Group admins add members; the decider checks who may. 200: nothing new is created. */
  @Post(':id/participants')
  @HttpCode(HttpStatus.OK)
  async addParticipants(
    @CurrentUser() caller: UserView,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<RestResponse<ConversationView>> {
    const conversationId = await this.existing(id);
    const { userIds } = parsedOrBadRequest(parseWith(addParticipantsBodySchema, body));
    const added = await this.registeredUsers(userIds);
    await this.writes.run(caller._id, { type: CommandType.AddParticipants, data: { conversationId, userIds: added } });
    await this.writes.readYourWrite(
      () => this.queries.participantsOf(conversationId),
      (members) => members !== null && added.every((userId) => members.includes(userId)),
    );
    return { success: true, data: await this.forParticipant(conversationId, caller._id) };
  }

  /** A group admin removes a member, or a member leaves. */
  @Delete(':id/participants/:userId')
  async removeParticipant(
    @CurrentUser() caller: UserView,
    @Param('id') id: string,
    @Param('userId') userId: string,
  ): Promise<RestResponse<{ conversationId: string; userId: string }>> {
    const conversationId = await this.existing(id);
    const removed = toObjectId(userId);
    if (removed === undefined) throw new RestError(HttpStatus.NOT_FOUND, ErrorMessage.UserNotFound);
    await this.writes.run(caller._id, { type: CommandType.RemoveParticipant, data: { conversationId, userId: removed } });
    // At once, whatever the read side does next; and again once it shows the removal, for a
    // join that was checked against the old member list just before.
    this.chat.evict(removed, conversationId);
    await this.writes.readYourWrite(
      () => this.queries.participantsOf(conversationId),
      (members) => members === null || !members.includes(removed),
    );
    this.chat.evict(removed, conversationId);
    return { success: true, data: { conversationId, userId: removed } };
  }

  /**
   * A new group photo: multipart field `media`, an image. Who may is checked before the upload
   * is taken (no file is stored for a caller who may not set it); the image goes to the media
   * service, its url through the write side (GroupPhotoUpdated, `group:photo:updated` to the
   * room), and the answer waits until the read model shows it.
   */
  @Put(':id/photo')
  async setPhoto(
    @CurrentUser() caller: UserView,
    @Param('id') id: string,
    @Req() req: Request,
  ): Promise<RestResponse<GroupPhotoView>> {
    const conversationId = (await this.groupOfParticipant(id, caller._id))._id;
    const answer = await this.media.upload(req, 'image');
    if (answer.status !== HttpStatus.CREATED) throw new RestError(answer.status, refusalMessage(answer.body));
    const uploaded = parseWith(uploadedMediaSchema, (answer.body as { data?: unknown }).data);
    if (!uploaded.success) throw new RestError(HttpStatus.BAD_GATEWAY, MEDIA_UNAVAILABLE);
    const groupImage = uploaded.data.url;
    await this.writes.run(caller._id, { type: CommandType.SetGroupPhoto, data: { conversationId, groupImage } });
    await this.writes.readYourWrite(
      () => this.queries.conversationForUser(conversationId, caller._id),
      (found) => found.status !== 'ok' || found.conversation.groupImage === groupImage,
    );
    return { success: true, data: { groupImage } };
  }

  /** Removes the group photo: GroupPhotoRemoved, `group:photo:removed` to the room. */
  @Delete(':id/photo')
  async removePhoto(@CurrentUser() caller: UserView, @Param('id') id: string): Promise<RestResponse<GroupPhotoView>> {
    const conversationId = (await this.groupOfParticipant(id, caller._id))._id;
    await this.writes.run(caller._id, { type: CommandType.RemoveGroupPhoto, data: { conversationId } });
    await this.writes.readYourWrite(
      () => this.queries.conversationForUser(conversationId, caller._id),
      (found) => found.status !== 'ok' || found.conversation.groupImage === null,
    );
    return { success: true, data: { groupImage: null } };
  }

  private async groupOfParticipant(id: string, userId: string): Promise<ConversationView> {
    const conversationId = toObjectId(id);
    if (conversationId === undefined) throw new RestError(HttpStatus.NOT_FOUND, ErrorMessage.ConversationNotFound);
    const conversation = await this.forParticipant(conversationId, userId);
    if (conversation.type !== 'group') throw new RestError(HttpStatus.BAD_REQUEST, ErrorMessage.NotAGroup);
    return conversation;
  }

  private async existing(id: string): Promise<string> {
    const conversationId = toObjectId(id);
    if (conversationId === undefined || (await this.queries.participantsOf(conversationId)) === null) {
      throw new RestError(HttpStatus.NOT_FOUND, ErrorMessage.ConversationNotFound);
    }
    return conversationId;
  }

  private async forParticipant(id: string, userId: string): Promise<ConversationView> {
    const lookup = await this.queries.conversationForUser(id, userId);
    if (lookup.status === 'not_found') throw new RestError(HttpStatus.NOT_FOUND, ErrorMessage.ConversationNotFound);
    if (lookup.status === 'not_participant') throw new RestError(HttpStatus.FORBIDDEN, ErrorMessage.NotAParticipant);
    return lookup.conversation;
  }

  /** Waits for the read model to show the caller in the conversation the command just changed. */
  private async visible(conversationId: string, userId: string): Promise<ConversationView> {
    const lookup = await this.writes.readYourWrite(
      () => this.queries.conversationForUser(conversationId, userId),
      (found) => found.status === 'ok',
    );
    return (lookup as Extract<typeof lookup, { status: 'ok' }>).conversation;
  }

  /** The ids as registered users, deduplicated; 400 naming the unknown ones. */
  private async registeredUsers(ids: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(ids.map((id) => toObjectId(id) ?? id))];
    const known = new Set((await this.queries.usersByIds(wanted)).map((user) => user._id));
    const unknown = wanted.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      const shown = unknown.slice(0, UNKNOWN_IDS_SHOWN).map((id) => JSON.stringify(id.slice(0, 40)));
      throw new RestError(HttpStatus.BAD_REQUEST, `${ErrorMessage.UserNotFound}: ${shown.join(', ')}${unknown.length > UNKNOWN_IDS_SHOWN ? ' …' : ''}`);
    }
    return wanted;
  }
}
