import { z } from 'zod';
import { objectIdSchema } from './ids';
import { mediaTypeSchema, messageTypeSchema, storedMediaItemSchema, urlSchema } from './message-content';

/** Timestamps leave the system as `Date#toISOString()` strings. */
export const isoDateTimeSchema = z.iso.datetime();

export const messageStatusSchema = z.enum(['sent', 'delivered', 'read']);
export type MessageStatus = z.output<typeof messageStatusSchema>;

/** `profileImage` is a string in the spec, so a user without one shows `''`, never null. */
export const userViewSchema = z.object({
  _id: objectIdSchema,
  name: z.string(),
  profileImage: z.string(),
});

/**
 * The spec's `new:message` message, plus `deleted` (the API contract's REST `Message`). One
 * shape for socket and REST: the extra field is additive, so spec-only clients ignore it. A
 * deleted message has `text: null` and `media: []`. The quoted `replyTo.text` is a string in
 * the spec, so a media-only or deleted reply target quotes `''`.
 */
export const messageViewSchema = z.object({
  _id: objectIdSchema,
  conversationId: objectIdSchema,
  senderId: userViewSchema,
  text: z.string().nullable(),
  media: z.array(storedMediaItemSchema),
  messageType: messageTypeSchema,
  status: messageStatusSchema,
  replyTo: z.object({ _id: objectIdSchema, text: z.string(), senderId: userViewSchema }).nullable(),
  createdAt: isoDateTimeSchema,
  updatedAt: isoDateTimeSchema,
  deleted: z.boolean(),
});

export const conversationViewSchema = z.object({
  _id: objectIdSchema,
  type: z.enum(['direct', 'group']),
  name: z.string().nullable(),
  groupImage: urlSchema.nullable(),
  participants: z.array(userViewSchema),
  admins: z.array(objectIdSchema),
  lastMessage: messageViewSchema.nullable(),
  unreadCount: z.int().min(0),
  createdAt: isoDateTimeSchema,
  updatedAt: isoDateTimeSchema,
});

/** `POST /api/media/upload` answers this as `data`, as the spec shows. */
export const mediaUploadViewSchema = z.object({
  url: urlSchema,
  type: mediaTypeSchema,
  format: z.string(),
  fileSize: z.int().min(0),
  filename: z.string(),
});

export type UserView = z.output<typeof userViewSchema>;
export type MessageView = z.output<typeof messageViewSchema>;
export type ConversationView = z.output<typeof conversationViewSchema>;
export type MediaUploadView = z.output<typeof mediaUploadViewSchema>;
