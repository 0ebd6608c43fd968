import type { DomainEvent, MessageSentEvent, UserView } from '@chat/contracts';
import { isoTime, laterTime, type MessageState, type ProjectionContext, type ReplyQuote, type UserDoc } from './read-model-documents';

/**
 * A message's state, as timeline pages keep it and as a conversation embeds its last one:
 * in the spec's `new:message` shape with its sender and quoted reply populated when it is
 * projected, plus delivery and deletion.
 *
 * Status: `read` once any other participant read it (the write side records a MessagesRead
 * for a reader only with the messages that became read for that reader, and never with the
 * reader's own), else `delivered` once delivered, else `sent`. A late delivery never turns
 * `read` back into `delivered`.
 */

/** What MessageSent needs besides the event: what the projection may not look up itself. */
export interface MessageSentContext extends ProjectionContext {
  /** The sender's user document (null if unknown: the view then shows an empty name). */
  readonly sender: UserDoc | null;
  /** The quoted message as it is when the reply is projected (null when there is none). */
  readonly replyTo: MessageState | null;
  /** The message's place in its conversation: the conversation's message count plus one. */
  readonly seq: number;
}

export function userViewOf(userId: string, user: UserDoc | null): UserView {
  return { _id: userId, name: user?.name ?? '', profileImage: user?.profileImage ?? '' };
}

/** The spec quotes a string: a media-only or deleted message quotes ''. */
export function quoteOf(target: MessageState): ReplyQuote {
  return { _id: target._id, text: target.deleted ? '' : (target.text ?? ''), senderId: target.sender };
}

/** The message MessageSent creates. */
export function sentMessageState(event: MessageSentEvent, context: MessageSentContext): MessageState {
  const { data } = event;
  const sentAt = isoTime(data.sentAt);
  // A reply whose target the read model does not hold cannot be quoted; the write side only
  // accepts targets of the same conversation, so this only happens to data it did not write.
  const target = data.replyTo !== null && context.replyTo?._id === data.replyTo ? context.replyTo : null;
  return {
    _id: data.messageId,
    conversationId: data.conversationId,
    seq: context.seq,
    sender: userViewOf(data.senderId, context.sender),
    text: data.text,
    media: data.media,
    messageType: data.messageType,
    replyTo: target ? quoteOf(target) : null,
    status: 'sent',
    delivered: false,
    deleted: false,
    createdAt: sentAt,
    updatedAt: sentAt,
  };
}

/**
 * Applies an event to a message that exists. Also applies MessageDeleted to the replies that
 * quote the deleted message: the quote becomes ''. Returns `state` itself when nothing changes.
 */
export function evolveMessageState(state: MessageState, event: DomainEvent, context: ProjectionContext): MessageState {
  switch (event.type) {
    case 'MessageDeleted': {
      const { messageId } = event.data;
      if (state._id === messageId) {
        if (state.deleted) return state;
        return { ...state, deleted: true, text: null, media: [], updatedAt: laterTime(state.createdAt, context.at) };
      }
      if (state.replyTo?._id === messageId && state.replyTo.text !== '') {
        return { ...state, replyTo: { ...state.replyTo, text: '' } };
      }
      return state;
    }
    case 'MessagesRead': {
      const { readerId, messageIds } = event.data;
      if (!messageIds.includes(state._id) || readerId === state.sender._id) return state;
      // Each MessagesRead names a message for a reader once (its position guards the rest),
      // so every one is a new reader: the message changes even when it was `read` already.
      return { ...state, status: 'read', updatedAt: laterTime(state.createdAt, context.at) };
    }
    case 'MessageDelivered': {
      if (!event.data.messageIds.includes(state._id) || state.delivered) return state;
      const at = laterTime(state.createdAt, context.at);
      return { ...state, delivered: true, status: state.status === 'sent' ? 'delivered' : state.status, updatedAt: at };
    }
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'MessageSent':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return state;
  }
}

/** The messages an event names (MessageDeleted also changes the replies quoting it: see message-index). */
export function messageIdsOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'MessageSent':
      return event.data.replyTo === null ? [event.data.messageId] : [event.data.messageId, event.data.replyTo];
    case 'MessageDeleted':
      return [event.data.messageId];
    case 'MessagesRead':
    case 'MessageDelivered':
      return event.data.messageIds;
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return [];
  }
}
