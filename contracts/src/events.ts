import { z } from 'zod';
import { objectIdSchema } from './ids';
import { CLIENT_MESSAGE_ID_MAX, GROUP_NAME_MAX_CHARS, USER_NAME_MAX_CHARS, WIRE_MEDIA_MAX, WIRE_TEXT_MAX_CHARS } from './limits';
import { messageTypeSchema, storedMediaItemSchema, urlSchema } from './message-content';
import { gatewayIdSchema, socketIdSchema, traceContextFields } from './metadata';
import { guarded } from './parsing';
import { streamNameSchema } from './topics';
import { isoDateTimeSchema } from './views';

/**
 * Domain events: the event store's source of truth and the analysts' stream. They record what
 * was decided, so they are bounded by the wire caps only, never by today's domain limits: a
 * later, stricter rule must not make history unreadable. A change of shape gets a new
 * version and an upcaster (event-upcasters.ts), never an edit here.
 */
export const EventType = {
  UserRegistered: 'UserRegistered',
  UserBlocked: 'UserBlocked',
  UserUnblocked: 'UserUnblocked',
  DirectConversationCreated: 'DirectConversationCreated',
  GroupConversationCreated: 'GroupConversationCreated',
  ParticipantsAdded: 'ParticipantsAdded',
  ParticipantRemoved: 'ParticipantRemoved',
  MessageSent: 'MessageSent',
  MessageDeleted: 'MessageDeleted',
  MessagesRead: 'MessagesRead',
  MessageDelivered: 'MessageDelivered',
  GroupPhotoUpdated: 'GroupPhotoUpdated',
  GroupPhotoRemoved: 'GroupPhotoRemoved',
} as const;

export type DomainEventType = (typeof EventType)[keyof typeof EventType];
const EVENT_TYPE_MAX_CHARS = 100;

/**
 * Stored beside the event's data. Event stores keep a type, data and metadata but no
 * version, so `schemaVersion` is where the event's `version` is kept.
 */
export const eventMetadataSchema = z.object({
  commandId: z.uuid(),
  correlationId: z.uuid(),
  causationId: z.uuid(),
  userId: objectIdSchema,
  gatewayId: gatewayIdSchema.optional(),
  socketId: socketIdSchema.optional(),
  ...traceContextFields,
  schemaVersion: z.int().min(1),
  occurredAt: isoDateTimeSchema,
});

function event<T extends DomainEventType, D extends z.ZodRawShape>(type: T, data: D) {
  return z.object({ type: z.literal(type), version: z.literal(1), data: z.object(data) });
}

/** Recorded on the pair's direct conversation stream (see BlockUser); `userId` is the blocker. */
const userPair = { conversationId: objectIdSchema, userId: objectIdSchema, blockedUserId: objectIdSchema };

export const userRegisteredEventSchema = event(EventType.UserRegistered, {
  userId: objectIdSchema,
  name: z.string().min(1).max(USER_NAME_MAX_CHARS),
  profileImage: urlSchema.nullable(),
});
export const userBlockedEventSchema = event(EventType.UserBlocked, userPair);
export const userUnblockedEventSchema = event(EventType.UserUnblocked, userPair);
export const directConversationCreatedEventSchema = event(EventType.DirectConversationCreated, {
  conversationId: objectIdSchema,
  participantIds: z.tuple([objectIdSchema, objectIdSchema]),
  createdBy: objectIdSchema,
  createdAt: isoDateTimeSchema,
});
export const groupConversationCreatedEventSchema = event(EventType.GroupConversationCreated, {
  conversationId: objectIdSchema,
  name: z.string().min(1).max(GROUP_NAME_MAX_CHARS).nullable(),
  /** Every member, the creator included. */
  participantIds: z.array(objectIdSchema).min(1),
  adminIds: z.array(objectIdSchema).min(1),
  createdBy: objectIdSchema,
  createdAt: isoDateTimeSchema,
});
export const participantsAddedEventSchema = event(EventType.ParticipantsAdded, {
  conversationId: objectIdSchema,
  userIds: z.array(objectIdSchema).min(1),
  addedBy: objectIdSchema,
});
export const participantRemovedEventSchema = event(EventType.ParticipantRemoved, {
  conversationId: objectIdSchema,
  userId: objectIdSchema,
  removedBy: objectIdSchema,
});
export const messageSentEventSchema = event(EventType.MessageSent, {
  conversationId: objectIdSchema,
  messageId: objectIdSchema,
  senderId: objectIdSchema,
  text: z.string().max(WIRE_TEXT_MAX_CHARS).nullable(),
  media: z.array(storedMediaItemSchema).max(WIRE_MEDIA_MAX),
  messageType: messageTypeSchema,
  replyTo: objectIdSchema.nullable(),
  clientMessageId: z.string().min(1).max(CLIENT_MESSAGE_ID_MAX).nullable(),
  sentAt: isoDateTimeSchema,
});
export const messageDeletedEventSchema = event(EventType.MessageDeleted, {
  conversationId: objectIdSchema,
  messageId: objectIdSchema,
  deletedBy: objectIdSchema,
});
/** Exactly the messages whose state changed; a read that changes nothing records nothing. */
export const messagesReadEventSchema = event(EventType.MessagesRead, {
  conversationId: objectIdSchema,
  readerId: objectIdSchema,
  messageIds: z.array(objectIdSchema).min(1),
});
export const messageDeliveredEventSchema = event(EventType.MessageDelivered, {
  conversationId: objectIdSchema,
  messageIds: z.array(objectIdSchema).min(1),
  recipientId: objectIdSchema,
});
export const groupPhotoUpdatedEventSchema = event(EventType.GroupPhotoUpdated, {
  conversationId: objectIdSchema,
  groupImage: urlSchema,
  updatedBy: objectIdSchema,
});
export const groupPhotoRemovedEventSchema = event(EventType.GroupPhotoRemoved, {
  conversationId: objectIdSchema,
  removedBy: objectIdSchema,
});

const domainEventUnion = z.discriminatedUnion('type', [
  userRegisteredEventSchema,
  userBlockedEventSchema,
  userUnblockedEventSchema,
  directConversationCreatedEventSchema,
  groupConversationCreatedEventSchema,
  participantsAddedEventSchema,
  participantRemovedEventSchema,
  messageSentEventSchema,
  messageDeletedEventSchema,
  messagesReadEventSchema,
  messageDeliveredEventSchema,
  groupPhotoUpdatedEventSchema,
  groupPhotoRemovedEventSchema,
]);

/** Current versions only; read stored events through `parseEvent`, which upcasts older ones. */
export const domainEventSchema = guarded(domainEventUnion);

export const currentEventVersions: ReadonlyMap<string, number> = new Map(
  domainEventUnion.options.map((option) => [option.shape.type.value, option.shape.version.value]),
);

export type DomainEvent = z.output<typeof domainEventSchema>;
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
export type EventMetadata = z.output<typeof eventMetadataSchema>;
export type UserRegisteredEvent = EventOf<'UserRegistered'>;
export type UserBlockedEvent = EventOf<'UserBlocked'>;
export type UserUnblockedEvent = EventOf<'UserUnblocked'>;
export type DirectConversationCreatedEvent = EventOf<'DirectConversationCreated'>;
export type GroupConversationCreatedEvent = EventOf<'GroupConversationCreated'>;
export type ParticipantsAddedEvent = EventOf<'ParticipantsAdded'>;
export type ParticipantRemovedEvent = EventOf<'ParticipantRemoved'>;
export type MessageSentEvent = EventOf<'MessageSent'>;
export type MessageDeletedEvent = EventOf<'MessageDeleted'>;
export type MessagesReadEvent = EventOf<'MessagesRead'>;
export type MessageDeliveredEvent = EventOf<'MessageDelivered'>;
export type GroupPhotoUpdatedEvent = EventOf<'GroupPhotoUpdated'>;
export type GroupPhotoRemovedEvent = EventOf<'GroupPhotoRemoved'>;

/**
 * One event on the analysts' topic (topics.ts): the stored event as it was written, with
 * where it sits in its stream. `data` is read with `parseEvent(type, version, data)`, so a
 * consumer sees old versions upcast like every other reader.
 */
export const publishedEventSchema = guarded(
  z.object({
    eventId: z.uuid(),
    streamName: streamNameSchema,
    streamPosition: z.int().min(0),
    type: z.string().min(1).max(EVENT_TYPE_MAX_CHARS),
    version: z.int().min(1),
    data: z.unknown(),
    metadata: eventMetadataSchema,
  }),
);
export type PublishedEvent = z.output<typeof publishedEventSchema>;
