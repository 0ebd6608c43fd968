import { z } from 'zod';
import { parseWith, ParseResult } from './parsing';
import {
  conversationPayloadSchema,
  errorPayloadSchema,
  groupPhotoRemovedPayloadSchema,
  groupPhotoUpdatedPayloadSchema,
  messageDeletedPayloadSchema,
  messageDeliveredPayloadSchema,
  messageReadPayloadSchema,
  messagesReadPayloadSchema,
  messageSentPayloadSchema,
  newMessagePayloadSchema,
  presencePayloadSchema,
  sendMessagePayloadSchema,
  typingPayloadSchema,
} from './socket-payloads';

export const ClientEvent = {
  JoinConversation: 'join:conversation',
  LeaveConversation: 'leave:conversation',
  SendMessage: 'send:message',
  TypingStart: 'typing:start',
  TypingStop: 'typing:stop',
  MessageRead: 'message:read',
} as const;

export const ServerEvent = {
  NewMessage: 'new:message',
  MessageSent: 'message:sent',
  MessageDelivered: 'message:delivered',
  MessagesRead: 'messages:read',
  TypingStart: 'typing:start',
  TypingStop: 'typing:stop',
  UserOnline: 'user:online',
  UserOffline: 'user:offline',
  MessageDeleted: 'message:deleted',
  GroupPhotoUpdated: 'group:photo:updated',
  GroupPhotoRemoved: 'group:photo:removed',
  Error: 'error',
} as const;

export type ClientEventName = (typeof ClientEvent)[keyof typeof ClientEvent];
export type ServerEventName = (typeof ServerEvent)[keyof typeof ServerEvent];

/** Lets the gateway validate every client event through one handler. */
export const clientEventSchemas = {
  [ClientEvent.JoinConversation]: conversationPayloadSchema,
  [ClientEvent.LeaveConversation]: conversationPayloadSchema,
  [ClientEvent.SendMessage]: sendMessagePayloadSchema,
  [ClientEvent.TypingStart]: conversationPayloadSchema,
  [ClientEvent.TypingStop]: conversationPayloadSchema,
  [ClientEvent.MessageRead]: messageReadPayloadSchema,
} as const satisfies Record<ClientEventName, z.ZodType>;

export const serverEventSchemas = {
  [ServerEvent.NewMessage]: newMessagePayloadSchema,
  [ServerEvent.MessageSent]: messageSentPayloadSchema,
  [ServerEvent.MessageDelivered]: messageDeliveredPayloadSchema,
  [ServerEvent.MessagesRead]: messagesReadPayloadSchema,
  [ServerEvent.TypingStart]: typingPayloadSchema,
  [ServerEvent.TypingStop]: typingPayloadSchema,
  [ServerEvent.UserOnline]: presencePayloadSchema,
  [ServerEvent.UserOffline]: presencePayloadSchema,
  [ServerEvent.MessageDeleted]: messageDeletedPayloadSchema,
  [ServerEvent.GroupPhotoUpdated]: groupPhotoUpdatedPayloadSchema,
  [ServerEvent.GroupPhotoRemoved]: groupPhotoRemovedPayloadSchema,
  [ServerEvent.Error]: errorPayloadSchema,
} as const satisfies Record<ServerEventName, z.ZodType>;

/** What a client sends: absent optional fields allowed. */
export type ClientEventPayloadInputs = { [E in ClientEventName]: z.input<(typeof clientEventSchemas)[E]> };
/** What the gateway works with after parsing: absent fields normalised. */
export type ClientEventPayloads = { [E in ClientEventName]: z.output<(typeof clientEventSchemas)[E]> };
export type ServerEventPayloads = { [E in ServerEventName]: z.output<(typeof serverEventSchemas)[E]> };

export function parseClientPayload<E extends ClientEventName>(event: E, raw: unknown): ParseResult<ClientEventPayloads[E]> {
  // TypeScript cannot follow an indexed access through a generic key; the map above is the proof.
  return parseWith(clientEventSchemas[event], raw) as ParseResult<ClientEventPayloads[E]>;
}

/** The optional acknowledgement every client event may pass (API contract, "optional additions"). */
export type AckResponse<T extends object = Record<never, never>> = ({ success: true } & T) | { success: false; message: string };

export interface SendMessageAck {
  messageId: string;
  conversationId: string;
  /** A retry with an already used clientMessageId: nothing new was stored. */
  duplicate?: boolean;
}

export type ClientEventAcks = { [E in ClientEventName]: E extends typeof ClientEvent.SendMessage ? SendMessageAck : Record<never, never> };

/**
 * Event maps for Socket.IO's generics: `Server<ClientToServerEvents, ServerToClientEvents,
 * InterServerEvents, SocketData>` on the gateway, `Socket<ServerToClientEvents,
 * ClientToServerEvents>` on a client. Payloads are typed as a client sends them; at run time
 * a handler receives whatever arrived and must parse it (see {@link parseClientPayload}).
 */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientEventPayloadInputs[E], ack?: (response: AckResponse<ClientEventAcks[E]>) => void) => void;
};
export type ServerToClientEvents = { [E in ServerEventName]: (payload: ServerEventPayloads[E]) => void };
/**
 * Between gateways, through the Socket.IO Redis adapter: besides room broadcasts (typing
 * indicators), a conversation's members changed, so what each gateway remembers of them
 * (who may join or type) is dropped at once.
 */
export type InterServerEvents = {
  'conversation:members-changed': (conversationId: string) => void;
};
export interface SocketData {
  userId: string;
}
