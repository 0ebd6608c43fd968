import type { DomainEvent } from '@chat/contracts';
import { type ProjectionContext, type UnreadCountDoc, unreadCountId } from './read-model-documents';

/**
 * Unread counts per (user, conversation): messages from others that the user has not read
 * and that are not deleted, over the whole conversation, as the write side's message log
 * counts them. So:
 *   - a member added later starts with every message not deleted (history is unread);
 *   - a member who left keeps counting what is sent meanwhile (the write side keeps their
 *     read state, so it is unread when they return);
 *   - deleting a message takes it off the count of everyone who had not read it;
 *   - a MessagesRead lists exactly the messages that became read for that reader.
 */

export interface UnreadCountContext extends ProjectionContext {
  readonly userId: string;
  readonly conversationId: string;
  /** ParticipantsAdded: the conversation's messages not deleted, before the event. */
  readonly liveMessageCount?: number;
  /**
   * MessageDeleted: the deleted message's sender and readers, or null when the read model does
   * not hold it. Readers never change once a message is deleted (nobody can read it after),
   * so it does not matter whether the message document has applied the deletion yet.
   */
  readonly deletedMessage?: { readonly senderId: string; readonly readBy: readonly string[] } | null;
}

export function evolveUnreadCount(
  doc: UnreadCountDoc | null,
  event: DomainEvent,
  context: UnreadCountContext,
): UnreadCountDoc | null {
  const { userId } = context;
  if (!('conversationId' in event.data) || event.data.conversationId !== context.conversationId) return doc;
  if (doc !== null && doc._id !== unreadCountId(userId, context.conversationId)) return doc;
  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
      if (doc !== null || !event.data.participantIds.includes(userId)) return doc;
      return counted(context, 0);
    case 'ParticipantsAdded':
      if (doc !== null || !event.data.userIds.includes(userId)) return doc;
      return counted(context, context.liveMessageCount ?? 0);
    case 'MessageSent':
      if (event.data.senderId === userId) return doc;
      return counted(context, (doc?.count ?? 0) + 1);
    case 'MessageDeleted': {
      const deleted = context.deletedMessage;
      if (!doc || !deleted || deleted.senderId === userId || deleted.readBy.includes(userId) || doc.count === 0) return doc;
      return counted(context, doc.count - 1);
    }
    case 'MessagesRead': {
      if (!doc || event.data.readerId !== userId || doc.count === 0) return doc;
      const read = new Set(event.data.messageIds).size;
      return counted(context, Math.max(0, doc.count - read));
    }
    default:
      return doc;
  }
}

function counted(context: UnreadCountContext, count: number): UnreadCountDoc {
  const { userId, conversationId, position } = context;
  return { _id: unreadCountId(userId, conversationId), userId, conversationId, count, position };
}
