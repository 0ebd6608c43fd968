import { z } from 'zod';

/**
 * Kafka topics. The version in a name changes only with an incompatible envelope; the
 * messages themselves carry their own `version`.
 */
export const Topic = {
  /** Commands. Key: the conversation id, or the user id for user commands (`commandPartitionKey`). */
  Commands: 'chat.commands.v1',
  /**
   * CommandAccepted / CommandRejected. Key: the originating gateway id, so one gateway's results
   * stay in order; every gateway reads the topic and keeps the results addressed to it.
   */
  CommandResults: 'chat.command-results.v1',
  /**
   * GatewayNotification. Key: the target room, or the gateway id for a single socket
   * (`notificationPartitionKey`), so one room sees its events in order. Every gateway reads
   * every partition (a consumer group of its own): rooms span gateways.
   */
  Notifications: 'chat.notifications.v1',
  /** PublishedEvent, the analysts' stream. Key: the stream name, so each stream stays in order. */
  Events: 'chat.events.v1',
  /**
   * PresenceReport: gateways tell the presence service about their sockets. Key: the user id
   * for a socket's connect and disconnect (one user's reports stay in order), the gateway id
   * for heartbeats.
   */
  Presence: 'chat.presence.v1',
  /** Commands that failed to parse or to be handled, as received, the reason in headers. Key: as received. */
  CommandsDlq: 'chat.commands.dlq.v1',
} as const;

export type TopicName = (typeof Topic)[keyof typeof Topic];

/** Kafka headers: what tracing and routing need without parsing the value. */
export const KafkaHeader = {
  Type: 'type',
  Version: 'version',
  CommandId: 'command-id',
  CorrelationId: 'correlation-id',
  UserId: 'user-id',
  GatewayId: 'gateway-id',
  SocketId: 'socket-id',
  Traceparent: 'traceparent',
  Tracestate: 'tracestate',
  /** On the dead-letter topic: why the command landed there. */
  Error: 'error',
  /** On the analysts' topic: the event's global position in the store (`<commit>/<prepare>`). */
  EventPosition: 'event-position',
  /**
   * On the analysts' topic: the position the exporter's batch started after ('start' for
   * the first). What lets a restarted exporter publish the rest of a half-sent batch exactly once.
   */
  BatchAfter: 'batch-after',
} as const;

/** Event store streams: one per aggregate. */
export const StreamPrefix = {
  Conversation: 'conversation-',
  User: 'user-',
} as const;

export function conversationStream(conversationId: string): `conversation-${string}` {
  return `${StreamPrefix.Conversation}${conversationId}`;
}

export function userStream(userId: string): `user-${string}` {
  return `${StreamPrefix.User}${userId}`;
}

export const streamNameSchema = z
  .string()
  .regex(new RegExp(`^(${StreamPrefix.Conversation}|${StreamPrefix.User})[0-9a-f]{24}$`), 'expected a stream name');

/** Socket.IO rooms, as the spec names them. */
export function conversationRoom(conversationId: string): `conversation:${string}` {
  return `conversation:${conversationId}`;
}

export function userRoom(userId: string): `user:${string}` {
  return `user:${userId}`;
}

export const roomSchema = z.string().regex(/^(conversation|user):[0-9a-f]{24}$/, 'expected a conversation or user room');
