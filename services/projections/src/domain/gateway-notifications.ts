import {
  conversationRoom,
  type GatewayNotification,
  type NotificationTarget,
  ServerEvent,
  type ServerEventName,
  userRoom,
  WIRE_ID_LIST_MAX,
} from '@chat/contracts';
import type { EventChanges } from './batch-projection';
import type { ProjectedEvent } from './read-model-documents';

/**
 * What gateways must emit because an event changed the read models. Built from the changes
 * alone: an event whose effect was already projected (redelivered, or re-applied after a
 * restart) changed nothing and notifies no one.
 *
 * Each notification's dedupe key is the event id with the event name (and the message, where
 * one event notifies per message), never a counter: a batch re-planned after a partial write
 * may notify fewer messages than the first plan did, and each must keep its key.
 */
export function notificationsFor(
  projected: ProjectedEvent,
  changes: EventChanges,
  membersOf: (conversationId: string) => readonly string[] | undefined = () => undefined,
): GatewayNotification[] {
  // Each notification continues the trace of the event it comes from.
  const { traceparent, tracestate } = projected.metadata;
  const trace = { ...(traceparent === undefined ? {} : { traceparent }), ...(tracestate === undefined ? {} : { tracestate }) };
  // Each also says where its event is, and a room's whom it concerns, so that gateways hold
  // those users' reads until the read models show it (read-your-writes).
  return notificationsOf(projected, changes).map((notification) => {
    const members = 'room' in notification.target ? conversationOfRoom(notification.target.room) : undefined;
    const audience = members === undefined ? undefined : membersOf(members);
    return {
      ...notification,
      position: projected.position,
      ...(audience !== undefined && audience.length <= WIRE_ID_LIST_MAX ? { audience: [...audience] } : {}),
      ...trace,
    };
  });
}

function conversationOfRoom(room: string): string | undefined {
  return room.startsWith('conversation:') ? room.slice('conversation:'.length) : undefined;
}

function notificationsOf(projected: ProjectedEvent, changes: EventChanges): GatewayNotification[] {
  const { effect } = changes;
  if (!effect) return [];
  const dedupe = (event: ServerEventName, messageId?: string): string =>
    messageId === undefined ? `${projected.id}:${event}` : `${projected.id}:${event}:${messageId}`;

  switch (effect.kind) {
    case 'message-sent': {
      // `message:sent` is the gateway's, when the append is acknowledged: it means stored.
      const { message } = effect;
      return [
        {
          ...envelope({ room: conversationRoom(message.conversationId) }, dedupe(ServerEvent.NewMessage)),
          event: ServerEvent.NewMessage,
          payload: { message },
        },
      ];
    }
    case 'message-deleted':
      return [
        {
          ...envelope({ room: conversationRoom(effect.conversationId) }, dedupe(ServerEvent.MessageDeleted)),
          event: ServerEvent.MessageDeleted,
          payload: { messageId: effect.messageId, conversationId: effect.conversationId },
        },
      ];
    case 'messages-read':
      return [
        {
          ...envelope({ room: conversationRoom(effect.conversationId) }, dedupe(ServerEvent.MessagesRead)),
          event: ServerEvent.MessagesRead,
          payload: { messageIds: [...effect.messageIds], readBy: effect.readerId, conversationId: effect.conversationId },
        },
      ];
    case 'messages-delivered':
      return effect.messages.map(
        ({ messageId, senderId }): GatewayNotification => ({
          ...envelope({ room: userRoom(senderId) }, dedupe(ServerEvent.MessageDelivered, messageId)),
          event: ServerEvent.MessageDelivered,
          payload: { messageId },
        }),
      );
    case 'group-photo-updated':
      return [
        {
          ...envelope({ room: conversationRoom(effect.conversationId) }, dedupe(ServerEvent.GroupPhotoUpdated)),
          event: ServerEvent.GroupPhotoUpdated,
          payload: { groupId: effect.conversationId, groupImage: effect.groupImage, updatedBy: effect.updatedBy },
        },
      ];
    case 'group-photo-removed':
      return [
        {
          ...envelope({ room: conversationRoom(effect.conversationId) }, dedupe(ServerEvent.GroupPhotoRemoved)),
          event: ServerEvent.GroupPhotoRemoved,
          payload: { groupId: effect.conversationId, groupImage: null, removedBy: effect.removedBy },
        },
      ];
  }
}

function envelope(target: NotificationTarget, dedupeKey: string) {
  return { type: 'GatewayNotification', version: 1, target, dedupeKey } as const;
}
