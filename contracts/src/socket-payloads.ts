import { z } from 'zod';
import { objectIdSchema, wireIdSchema } from './ids';
import { CLIENT_MESSAGE_ID_MAX, WIRE_ID_LIST_MAX, WIRE_MEDIA_MAX, WIRE_TEXT_MAX_CHARS } from './limits';
import { mediaItemSchema, orNull, requestedMessageTypeSchema, urlSchema } from './message-content';
import { guarded } from './parsing';
import { messageViewSchema } from './views';

// Client → server. Objects strip unknown keys rather than refuse them: clients add fields of
// their own (app metadata, newer versions), and an additive contract only holds if the server
// ignores what it does not know. `guarded` still refuses keys that reach a prototype.
// Ids stay strings here (see wireIdSchema); content rules are the decider's (see limits.ts).

/** `join:conversation`, `leave:conversation`, `typing:start`, `typing:stop`. */
export const conversationPayloadSchema = guarded(z.object({ conversationId: wireIdSchema }));

/** `send:message`. Absent and null text, media, replyTo and clientMessageId all arrive as null or []. */
export const sendMessagePayloadSchema = guarded(
  z.object({
    conversationId: wireIdSchema,
    text: orNull(z.string().max(WIRE_TEXT_MAX_CHARS)),
    media: z
      .array(mediaItemSchema)
      .max(WIRE_MEDIA_MAX)
      .nullish()
      .transform((media) => media ?? []),
    messageType: requestedMessageTypeSchema,
    replyTo: orNull(wireIdSchema),
    clientMessageId: orNull(z.string().min(1).max(CLIENT_MESSAGE_ID_MAX)),
  }),
);

/** `message:read`. An empty `messageIds` means every unread message of the conversation. */
export const messageReadPayloadSchema = guarded(
  z.object({
    conversationId: wireIdSchema,
    messageIds: z.array(wireIdSchema).max(WIRE_ID_LIST_MAX),
  }),
);

export type ConversationPayload = z.output<typeof conversationPayloadSchema>;
export type SendMessagePayload = z.output<typeof sendMessagePayloadSchema>;
export type MessageReadPayload = z.output<typeof messageReadPayloadSchema>;

// Server → client: what the system emits, so ids here are real ObjectIds.

export const newMessagePayloadSchema = z.object({ message: messageViewSchema });
export const messageSentPayloadSchema = z.object({ messageId: objectIdSchema, conversationId: objectIdSchema });
export const messageDeliveredPayloadSchema = z.object({ messageId: objectIdSchema });
export const messagesReadPayloadSchema = z.object({
  messageIds: z.array(objectIdSchema),
  readBy: objectIdSchema,
  conversationId: objectIdSchema,
});
/** `typing:start` and `typing:stop`. */
export const typingPayloadSchema = z.object({ userId: objectIdSchema, conversationId: objectIdSchema });
/** `user:online` and `user:offline`. */
export const presencePayloadSchema = z.object({ userId: objectIdSchema });
export const messageDeletedPayloadSchema = z.object({ messageId: objectIdSchema, conversationId: objectIdSchema });
export const groupPhotoUpdatedPayloadSchema = z.object({
  groupId: objectIdSchema,
  groupImage: urlSchema,
  updatedBy: objectIdSchema,
});
export const groupPhotoRemovedPayloadSchema = z.object({
  groupId: objectIdSchema,
  groupImage: z.null(),
  removedBy: objectIdSchema,
});
export const errorPayloadSchema = z.object({ message: z.string() });

export type NewMessagePayload = z.output<typeof newMessagePayloadSchema>;
export type MessageSentPayload = z.output<typeof messageSentPayloadSchema>;
export type MessageDeliveredPayload = z.output<typeof messageDeliveredPayloadSchema>;
export type MessagesReadPayload = z.output<typeof messagesReadPayloadSchema>;
export type TypingPayload = z.output<typeof typingPayloadSchema>;
export type PresencePayload = z.output<typeof presencePayloadSchema>;
export type MessageDeletedPayload = z.output<typeof messageDeletedPayloadSchema>;
export type GroupPhotoUpdatedPayload = z.output<typeof groupPhotoUpdatedPayloadSchema>;
export type GroupPhotoRemovedPayload = z.output<typeof groupPhotoRemovedPayloadSchema>;
export type ErrorPayload = z.output<typeof errorPayloadSchema>;
