import { z } from 'zod';
import { objectIdSchema, wireIdSchema } from './ids';
import {
  CLIENT_MESSAGE_ID_MAX,
  GROUP_NAME_MAX_CHARS,
  USER_NAME_MAX_CHARS,
  WIRE_ID_LIST_MAX,
  WIRE_MEDIA_MAX,
  WIRE_TEXT_MAX_CHARS,
} from './limits';
import { mediaItemSchema, requestedMessageTypeSchema, urlSchema } from './message-content';
import { gatewayIdSchema, socketIdSchema, traceContextFields } from './metadata';
import { guarded, parseWith, ParseResult } from './parsing';
import { isoDateTimeSchema } from './views';

/**
 * Commands travel on Kafka (topics.ts) from the edge to the messaging service. Ids are
 * validated ObjectIds: the gateway has already answered a non-ObjectId conversation or user
 * with "not found". The exceptions are message references a decider answers later in the
 * contract's order of checks (`replyTo`, the ids of `MarkMessagesRead`): those stay as sent,
 * and the decider treats a non-ObjectId as a message that does not exist. Filtering them at
 * the edge instead would turn `messageIds: ['abc']` into `[]`, which means "all unread".
 *
 * Where `data` names no actor (DeleteMessage, AddParticipants, …), the actor is
 * `metadata.userId`.
 */
export const CommandType = {
  SendMessage: 'SendMessage',
  DeleteMessage: 'DeleteMessage',
  MarkMessagesRead: 'MarkMessagesRead',
  MarkMessageDelivered: 'MarkMessageDelivered',
  CreateDirectConversation: 'CreateDirectConversation',
  CreateGroupConversation: 'CreateGroupConversation',
  AddParticipants: 'AddParticipants',
  RemoveParticipant: 'RemoveParticipant',
  SetGroupPhoto: 'SetGroupPhoto',
  RemoveGroupPhoto: 'RemoveGroupPhoto',
  RegisterUser: 'RegisterUser',
  BlockUser: 'BlockUser',
  UnblockUser: 'UnblockUser',
} as const;

export type CommandTypeName = (typeof CommandType)[keyof typeof CommandType];
export const commandTypeSchema = z.enum(CommandType);

export const commandMetadataSchema = z.object({
  /** The caller. */
  userId: objectIdSchema,
  gatewayId: gatewayIdSchema,
  /** Absent for REST, which has no socket to answer. */
  socketId: socketIdSchema.optional(),
  correlationId: z.uuid(),
  causationId: z.uuid().optional(),
  ...traceContextFields,
  issuedAt: isoDateTimeSchema,
  /**
   * The issuer reads no answer (presence's delivery receipts): none is put on the results
   * topic, which every gateway reads. The outcome is in the store all the same.
   */
  unanswered: z.literal(true).optional(),
});

/**
 * `commandId` is a UUID (`crypto.randomUUID()`), not an ObjectId: EventStoreDB event ids are
 * UUIDs, and events derived deterministically from the command id make a redelivered
 * command's append recognisable as a duplicate.
 */
function command<T extends CommandTypeName, D extends z.ZodRawShape>(type: T, data: D) {
  return z.object({
    type: z.literal(type),
    version: z.literal(1),
    commandId: z.uuid(),
    data: z.object(data),
    metadata: commandMetadataSchema,
  });
}

const objectIds = z.array(objectIdSchema).max(WIRE_ID_LIST_MAX);

export const sendMessageCommandSchema = command(CommandType.SendMessage, {
  conversationId: objectIdSchema,
  /** Assigned at the edge, so a redelivered command stores the same message once. */
  messageId: objectIdSchema,
  senderId: objectIdSchema,
  text: z.string().max(WIRE_TEXT_MAX_CHARS).nullable(),
  media: z.array(mediaItemSchema).max(WIRE_MEDIA_MAX),
  messageType: requestedMessageTypeSchema,
  replyTo: wireIdSchema.nullable(),
  clientMessageId: z.string().min(1).max(CLIENT_MESSAGE_ID_MAX).nullable(),
});
export const deleteMessageCommandSchema = command(CommandType.DeleteMessage, {
  conversationId: objectIdSchema,
  messageId: objectIdSchema,
});
export const markMessagesReadCommandSchema = command(CommandType.MarkMessagesRead, {
  conversationId: objectIdSchema,
  readerId: objectIdSchema,
  /** Empty: every unread message from others. */
  messageIds: z.array(wireIdSchema).max(WIRE_ID_LIST_MAX),
});
/** Producers split longer lists: one Kafka message stays small. */
export const markMessageDeliveredCommandSchema = command(CommandType.MarkMessageDelivered, {
  conversationId: objectIdSchema,
  messageIds: objectIds.min(1),
  recipientId: objectIdSchema,
});
export const createDirectConversationCommandSchema = command(CommandType.CreateDirectConversation, {
  conversationId: objectIdSchema,
  creatorId: objectIdSchema,
  otherUserId: objectIdSchema,
});
export const createGroupConversationCommandSchema = command(CommandType.CreateGroupConversation, {
  conversationId: objectIdSchema,
  creatorId: objectIdSchema,
  name: z.string().min(1).max(GROUP_NAME_MAX_CHARS).nullable(),
  /** The other members; the creator joins as member and admin. */
  participantIds: objectIds,
});
export const addParticipantsCommandSchema = command(CommandType.AddParticipants, {
  conversationId: objectIdSchema,
  userIds: objectIds.min(1),
});
export const removeParticipantCommandSchema = command(CommandType.RemoveParticipant, {
  conversationId: objectIdSchema,
  userId: objectIdSchema,
});
export const setGroupPhotoCommandSchema = command(CommandType.SetGroupPhoto, {
  conversationId: objectIdSchema,
  groupImage: urlSchema,
});
export const removeGroupPhotoCommandSchema = command(CommandType.RemoveGroupPhoto, {
  conversationId: objectIdSchema,
});
export const registerUserCommandSchema = command(CommandType.RegisterUser, {
  userId: objectIdSchema,
  name: z.string().min(1).max(USER_NAME_MAX_CHARS),
  profileImage: urlSchema.nullable(),
});
/**
 * A block is decided on the stream of the pair's direct conversation (`directConversationId`),
 * the same stream every send between them is decided on, so a block and a send racing each
 * other are ordered by that stream's revision and no send slips past a block.
 */
export const blockUserCommandSchema = command(CommandType.BlockUser, {
  conversationId: objectIdSchema,
  userId: objectIdSchema,
  blockedUserId: objectIdSchema,
});
export const unblockUserCommandSchema = command(CommandType.UnblockUser, {
  conversationId: objectIdSchema,
  userId: objectIdSchema,
  blockedUserId: objectIdSchema,
});

export const commandSchema = guarded(
  z.discriminatedUnion('type', [
    sendMessageCommandSchema,
    deleteMessageCommandSchema,
    markMessagesReadCommandSchema,
    markMessageDeliveredCommandSchema,
    createDirectConversationCommandSchema,
    createGroupConversationCommandSchema,
    addParticipantsCommandSchema,
    removeParticipantCommandSchema,
    setGroupPhotoCommandSchema,
    removeGroupPhotoCommandSchema,
    registerUserCommandSchema,
    blockUserCommandSchema,
    unblockUserCommandSchema,
  ]),
);

export type Command = z.output<typeof commandSchema>;
export type CommandOf<T extends CommandTypeName> = Extract<Command, { type: T }>;
export type CommandMetadata = z.output<typeof commandMetadataSchema>;
export type SendMessageCommand = CommandOf<'SendMessage'>;
export type DeleteMessageCommand = CommandOf<'DeleteMessage'>;
export type MarkMessagesReadCommand = CommandOf<'MarkMessagesRead'>;
export type MarkMessageDeliveredCommand = CommandOf<'MarkMessageDelivered'>;
export type CreateDirectConversationCommand = CommandOf<'CreateDirectConversation'>;
export type CreateGroupConversationCommand = CommandOf<'CreateGroupConversation'>;
export type AddParticipantsCommand = CommandOf<'AddParticipants'>;
export type RemoveParticipantCommand = CommandOf<'RemoveParticipant'>;
export type SetGroupPhotoCommand = CommandOf<'SetGroupPhoto'>;
export type RemoveGroupPhotoCommand = CommandOf<'RemoveGroupPhoto'>;
export type RegisterUserCommand = CommandOf<'RegisterUser'>;
export type BlockUserCommand = CommandOf<'BlockUser'>;
export type UnblockUserCommand = CommandOf<'UnblockUser'>;

export function parseCommand(raw: unknown): ParseResult<Command> {
  return parseWith(commandSchema, raw);
}

/**
 * The Kafka key, which is also the id of the stream the command is decided against: the
 * conversation for conversation commands (blocks included: they are decided on the pair's
 * direct conversation), the user for RegisterUser. One key per stream keeps each stream's
 * commands in order on one partition.
 */
export function commandPartitionKey(command: Command): string {
  return 'conversationId' in command.data ? command.data.conversationId : command.data.userId;
}
