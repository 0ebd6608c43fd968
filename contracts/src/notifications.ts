import { z } from 'zod';
import { objectIdSchema } from './ids';
import { WIRE_ID_LIST_MAX } from './limits';
import { gatewayIdSchema, socketIdSchema, storePositionSchema, traceContextFields } from './metadata';
import { guarded, parseWith, ParseResult } from './parsing';
import { ServerEvent, ServerEventName, serverEventSchemas } from './socket-events';
import { roomSchema } from './topics';

/**
 * What projections (and presence) ask gateways to emit, on the notifications topic. A room
 * target reaches every socket in it on every gateway; a socket target (`message:sent`)
 * reaches one socket, through the gateway that holds it. `except` leaves one socket out, as
 * Socket.IO's `except` does.
 */
export const notificationTargetSchema = z.union([
  z.object({ room: roomSchema }),
  z.object({ gatewayId: gatewayIdSchema, socketId: socketIdSchema }),
]);

function notification<E extends ServerEventName>(event: E) {
  return z.object({
    type: z.literal('GatewayNotification'),
    version: z.literal(1),
    target: notificationTargetSchema,
    event: z.literal(event),
    payload: serverEventSchemas[event],
    except: socketIdSchema.optional(),
    /**
     * The same for every copy of one notification (projections derive it from the event id),
     * so a gateway drops a copy that a restarted worker published again.
     */
    dedupeKey: z.string().min(1).max(120).optional(),
    /** The store position of the event it tells of (absent for presence and typing). */
    position: storePositionSchema.optional(),
    /**
     * For a conversation room: its members, whose reads the event changes. Every gateway holds
     * their next REST read until the read models show `position`, wherever their sockets are.
     * Absent for rooms of more than WIRE_ID_LIST_MAX members (a gateway then knows its own
     * sockets' users only).
     */
    audience: z.array(objectIdSchema).max(WIRE_ID_LIST_MAX).optional(),
    /** The trace the change belongs to (that of the client event or request that caused it). */
    ...traceContextFields,
  });
}

/** Discriminated on `event`, so a notification's payload is always that event's payload. */
export const gatewayNotificationSchema = guarded(
  z.discriminatedUnion('event', [
    notification(ServerEvent.NewMessage),
    notification(ServerEvent.MessageSent),
    notification(ServerEvent.MessageDelivered),
    notification(ServerEvent.MessagesRead),
    notification(ServerEvent.TypingStart),
    notification(ServerEvent.TypingStop),
    notification(ServerEvent.UserOnline),
    notification(ServerEvent.UserOffline),
    notification(ServerEvent.MessageDeleted),
    notification(ServerEvent.GroupPhotoUpdated),
    notification(ServerEvent.GroupPhotoRemoved),
    notification(ServerEvent.Error),
  ]),
);

export type NotificationTarget = z.output<typeof notificationTargetSchema>;
export type GatewayNotification = z.output<typeof gatewayNotificationSchema>;
export type GatewayNotificationOf<E extends ServerEventName> = Extract<GatewayNotification, { event: E }>;

export function parseNotification(raw: unknown): ParseResult<GatewayNotification> {
  return parseWith(gatewayNotificationSchema, raw);
}

export function notificationPartitionKey(notification: GatewayNotification): string {
  return 'room' in notification.target ? notification.target.room : notification.target.gatewayId;
}
