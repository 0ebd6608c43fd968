import { CommandType, ErrorMessage, type MessageView, type RestResponse, type UserView } from '@chat/contracts';
import type { ReadModelQueries } from '@chat/projections/read-models';
import { Controller, Delete, HttpStatus, Inject, Param, UseGuards } from '@nestjs/common';
import { READ_MODELS } from './read-models.token';
import { RestError } from './rest-errors';
import { CurrentUser, UserGuard } from './rest-auth';
import { WriteRequests } from './write-requests';

@Controller('api/messages')
@UseGuards(UserGuard)
export class MessagesController {
  constructor(
    @Inject(READ_MODELS) private readonly queries: ReadModelQueries,
    private readonly writes: WriteRequests,
  ) {}

  /** Soft delete by the sender: the room gets `message:deleted`; history keeps a tombstone. */
  @Delete(':messageId')
  async remove(@CurrentUser() caller: UserView, @Param('messageId') messageId: string): Promise<RestResponse<MessageView>> {
    const message = await this.queries.messageById(messageId);
    if (!message) throw new RestError(HttpStatus.NOT_FOUND, ErrorMessage.MessageNotFound);
    await this.writes.run(caller._id, {
      type: CommandType.DeleteMessage,
      data: { conversationId: message.conversationId, messageId: message._id },
    });
    const deleted = await this.writes.readYourWrite(
      () => this.queries.messageById(message._id),
      (found) => found?.deleted === true,
    );
    return { success: true, data: deleted as MessageView };
  }
}
