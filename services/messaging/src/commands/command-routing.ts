import {
  type Command,
  CommandType,
  conversationStream,
  type DomainEvent,
  parseEvent,
  userStream,
} from '@chat/contracts';
import type { OnlineLookup, RecordedEvent } from '@chat/runtime';
import type { AcceptedResult, StreamKind } from '../command-handling/command-handler';
import {
  type ConversationCommand,
  type ConversationEvent,
  type ConversationState,
  conversationDecider,
} from '../domain/conversation.decider';
import { deliverAtSend } from './delivered-at-send';
import { deserializeConversationState, serializeConversationState } from '../domain/conversation.snapshot';
import { type UserCommand, type UserEvent, type UserState, userDecider } from '../domain/user.decider';

/** Parses a stored event back into the domain event it was, upcasting older versions. */
function toDomainEvent(recorded: RecordedEvent): DomainEvent {
  const parsed = parseEvent(recorded.type, recorded.metadata.schemaVersion, recorded.data);
  if (!parsed.success) {
    throw new Error(`stored event ${recorded.id} in ${recorded.streamName} is unreadable: ${parsed.message}`);
  }
  return parsed.data;
}

export const conversationKind: StreamKind<ConversationCommand, ConversationEvent, ConversationState> = {
  decider: conversationDecider,
  toEvent: (recorded) => toDomainEvent(recorded) as ConversationEvent,
  duplicateResult: (command): AcceptedResult => ({
    conversationId: command.data.conversationId,
    ...(command.type === CommandType.SendMessage ? { messageId: command.data.messageId } : {}),
    duplicate: true,
  }),
  // Every 5,000 events: a cold load of a 100,000-message conversation reads one snapshot and
  // at most 5,000 events instead of folding them all.
  snapshots: { serialize: serializeConversationState, deserialize: deserializeConversationState, every: 5000 },
};

/** Conversation streams whose messages are delivered in their own append to recipients online as they are sent. */
export function conversationKindDelivering(online: OnlineLookup, log: (line: string) => void): StreamKind<ConversationCommand, ConversationEvent, ConversationState> {
  return { ...conversationKind, followUps: deliverAtSend(online, log) };
}

export const userKind: StreamKind<UserCommand, UserEvent, UserState> = {
  decider: userDecider,
  toEvent: (recorded) => toDomainEvent(recorded) as UserEvent,
  duplicateResult: (command): AcceptedResult => ({ userId: command.data.userId, duplicate: true }),
};

export type Route =
  | { readonly kind: 'conversation'; readonly streamName: string; readonly command: ConversationCommand }
  | { readonly kind: 'user'; readonly streamName: string; readonly command: UserCommand };

/**
 * Which stream a command is decided on. The Kafka key (contracts' commandPartitionKey) is
 * that stream's id, so one stream's commands arrive in order on one partition.
 */
export function routeOf(command: Command): Route {
  if (command.type === CommandType.RegisterUser) {
    return { kind: 'user', streamName: userStream(command.data.userId), command };
  }
  return { kind: 'conversation', streamName: conversationStream(command.data.conversationId), command };
}
