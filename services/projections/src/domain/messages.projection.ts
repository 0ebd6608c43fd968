import type { DomainEvent, MessageSentEvent, UserView } from '@chat/contracts';
import type { MessageDoc, MessageState, ProjectionContext, ReplyQuote, UserDoc } from './read-model-documents';

/**
 * The messages read model: one document per message, in the spec's `new:message` shape with
 * its sender and quoted reply populated when it is projected, plus the per-user read state,
 * delivery and deletion.
 *
 * Status: `read` once any other participant read it (readers are never the sender: the write
 * side only marks others' messages), else `delivered` once delivered, else `sent`. A late
 * delivery never turns `read` back into `delivered`.
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

/** The message MessageSent creates, without a guard position (a conversation embeds this too). */
export function sentMessageState(event: MessageSentEvent, context: MessageSentContext): MessageState {
  const { data } = event;
  const sentAt = new Date(data.sentAt);
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
    readBy: [],
    deliveredAt: null,
    deleted: false,
    createdAt: sentAt,
    updatedAt: sentAt,
  };
}

/**
 * Applies a message event to a message (a document, or a conversation's last message). Also
 * applies MessageDeleted to the replies that quote the deleted message: the quote becomes ''.
 * Returns `state` itself when nothing changes.
 */
export function evolveMessageState<S extends MessageState>(state: S, event: DomainEvent, context: ProjectionContext): S {
  switch (event.type) {
    case 'MessageDeleted': {
      const { messageId } = event.data;
      if (state._id === messageId) {
        if (state.deleted) return state;
        return { ...state, deleted: true, text: null, media: [], updatedAt: later(state.createdAt, context.at) };
      }
      if (state.replyTo?._id === messageId && state.replyTo.text !== '') {
        return { ...state, replyTo: { ...state.replyTo, text: '' } };
      }
      return state;
    }
    case 'MessagesRead': {
      const { readerId, messageIds } = event.data;
      if (!messageIds.includes(state._id) || readerId === state.sender._id || state.readBy.includes(readerId)) return state;
      return { ...state, readBy: [...state.readBy, readerId], status: 'read', updatedAt: later(state.createdAt, context.at) };
    }
    case 'MessageDelivered': {
      if (!event.data.messageIds.includes(state._id) || state.deliveredAt !== null) return state;
      const at = later(state.createdAt, context.at);
      return { ...state, deliveredAt: at, status: state.status === 'sent' ? 'delivered' : state.status, updatedAt: at };
    }
    default:
      return state;
  }
}

/**
 * The message document's projection. `context` must be a MessageSentContext for MessageSent
 * (the only event that creates a message); every other event only changes an existing one.
 */
export function evolveMessage(
  doc: MessageDoc | null,
  event: DomainEvent,
  context: ProjectionContext | MessageSentContext,
): MessageDoc | null {
  if (event.type === 'MessageSent') {
    if (doc !== null || !('seq' in context)) return doc;
    return { ...sentMessageState(event, context), position: context.position };
  }
  if (doc === null) return null;
  const next = evolveMessageState(doc, event, context);
  return next === doc ? doc : { ...next, position: context.position };
}

/** The message documents an event may change (MessageDeleted also changes the replies to it). */
export function messageIdsOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'MessageSent':
    case 'MessageDeleted':
      return [event.data.messageId];
    case 'MessagesRead':
    case 'MessageDelivered':
      return event.data.messageIds;
    default:
      return [];
  }
}

function later(a: Date, b: Date): Date {
  return b.getTime() > a.getTime() ? b : a;
}
