import { z } from 'zod';
import { objectIdSchema, wireIdSchema } from './ids';
import { GROUP_NAME_MAX_CHARS, MESSAGES_PAGE_DEFAULT, MESSAGES_PAGE_MAX, USER_NAME_MAX_CHARS, WIRE_ID_LIST_MAX } from './limits';
import { mediaTypeSchema, orNull, urlSchema } from './message-content';
import { guarded } from './parsing';
import { messageViewSchema } from './views';

// REST bodies and queries (API contract, "REST"). As on the socket, ids that name something
// to look up stay strings, so the service answers them as unknown rather than malformed.

/** `POST /api/users` (admin). `_id` is the identity service's id for the user, when it has one. */
export const registerUserBodySchema = guarded(
  z.object({
    name: z.string().trim().min(1).max(USER_NAME_MAX_CHARS),
    profileImage: orNull(urlSchema),
    _id: objectIdSchema.optional(),
  }),
);

/** `POST /api/conversations`. An empty name is no name: it still asks for a direct conversation. */
export const createConversationBodySchema = guarded(
  z.object({
    participantIds: z.array(wireIdSchema).max(WIRE_ID_LIST_MAX),
    name: orNull(z.string().trim().max(GROUP_NAME_MAX_CHARS)).transform((name) => name || null),
  }),
);

/** `POST /api/conversations/:id/participants`. */
export const addParticipantsBodySchema = guarded(
  z.object({ userIds: z.array(wireIdSchema).min(1).max(WIRE_ID_LIST_MAX) }),
);

/** `GET /api/conversations/:id/messages`. A `limit` above the maximum gets the maximum. */
export const messagesQuerySchema = guarded(
  z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .default(MESSAGES_PAGE_DEFAULT)
      .transform((limit) => Math.min(limit, MESSAGES_PAGE_MAX)),
    before: wireIdSchema.optional(),
  }),
);

export const messagesPageViewSchema = z.object({ messages: z.array(messageViewSchema), hasMore: z.boolean() });

/** `POST /api/media/upload`'s `data` (the spec's shape): what the media service answers the gateway. */
export const uploadedMediaSchema = z.object({
  url: urlSchema,
  type: mediaTypeSchema,
  format: z.string(),
  fileSize: z.int().min(0),
  filename: z.string(),
});

/** `PUT /api/conversations/:id/photo`'s `data`. */
export const groupPhotoViewSchema = z.object({ groupImage: urlSchema.nullable() });

export type UploadedMedia = z.output<typeof uploadedMediaSchema>;
export type GroupPhotoView = z.output<typeof groupPhotoViewSchema>;
export type RegisterUserBody = z.output<typeof registerUserBodySchema>;
export type CreateConversationBody = z.output<typeof createConversationBodySchema>;
export type AddParticipantsBody = z.output<typeof addParticipantsBodySchema>;
export type MessagesQuery = z.output<typeof messagesQuerySchema>;
export type MessagesPageView = z.output<typeof messagesPageViewSchema>;

export type RestResponse<T> = { success: true; data: T } | { success: false; message: string };
