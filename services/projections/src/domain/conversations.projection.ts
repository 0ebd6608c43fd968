import type { DomainEvent } from '@chat/contracts';
import { evolveMessageState, sentMessageState } from './messages.projection';
import type { ConversationDoc, MessageState, ProjectionContext, UserDoc } from './read-model-documents';

/**
 * The conversations read model: members, admins, name and photo, the last message (evolved
 * by the messages projection's own function, so its status and deletion follow the message
 * document's), activity time, and the counters the unread counts need.
 *
 * It depends on no other read model's mutable state: its last message is built from the
 * event, the sender (whose name and image never change) and the quoted message (whose quote
 * a later MessageDeleted corrects, wherever it was taken from). That is what lets a
 * conversation document be brought up to date on its own after a partial write.
 */

/** What the conversation projection needs besides the event. */
export interface ConversationContext extends ProjectionContext {
  /** MessageSent: the sender's user document. */
  readonly sender?: UserDoc | null;
  /** MessageSent: the quoted message, when the message is a reply. */
  readonly replyTo?: MessageState | null;
  /**
   * MessageDeleted: whether the read model holds the deleted message. Only its existence is
   * asked (it never goes away), not whether it is already marked deleted: a message document
   * may be written ahead of its conversation.
   */
  readonly deletedMessageKnown?: boolean;
}

export function evolveConversation(
  doc: ConversationDoc | null,
  event: DomainEvent,
  context: ConversationContext,
): ConversationDoc | null {
  if (doc !== null && conversationIdOf(event) !== doc._id) return doc;
  switch (event.type) {
    case 'DirectConversationCreated': {
      if (doc !== null) return doc;
      const { conversationId, participantIds, createdBy, createdAt } = event.data;
      return created(context, {
        _id: conversationId,
        type: 'direct',
        name: null,
        participantIds: [...participantIds],
        admins: [],
        createdBy,
        createdAt: new Date(createdAt),
      });
    }
    case 'GroupConversationCreated': {
      if (doc !== null) return doc;
      const { conversationId, name, participantIds, adminIds, createdBy, createdAt } = event.data;
      return created(context, {
        _id: conversationId,
        type: 'group',
        name,
        participantIds: unique(participantIds),
        admins: unique(adminIds),
        createdBy,
        createdAt: new Date(createdAt),
      });
    }
    case 'ParticipantsAdded': {
      if (doc?.type !== 'group') return doc;
      const added = event.data.userIds.filter((userId) => !doc.participantIds.includes(userId));
      if (added.length === 0) return doc;
      return {
        ...doc,
        participantIds: unique([...doc.participantIds, ...added]),
        readerIds: unique([...doc.readerIds, ...added]),
        updatedAt: context.at,
        position: context.position,
      };
    }
    case 'ParticipantRemoved': {
      if (doc?.type !== 'group') return doc;
      const { userId } = event.data;
      if (!doc.participantIds.includes(userId)) return doc;
      return {
        ...doc,
        participantIds: doc.participantIds.filter((id) => id !== userId),
        admins: doc.admins.filter((id) => id !== userId),
        updatedAt: context.at,
        position: context.position,
      };
    }
    case 'MessageSent': {
      if (doc === null) return null;
      const seq = doc.messageCount + 1;
      const lastMessage = sentMessageState(event, { ...context, sender: context.sender ?? null, replyTo: context.replyTo ?? null, seq });
      return {
        ...doc,
        messageCount: seq,
        liveMessageCount: doc.liveMessageCount + 1,
        lastMessage,
        lastActivityAt: lastMessage.createdAt > doc.lastActivityAt ? lastMessage.createdAt : doc.lastActivityAt,
        updatedAt: context.at,
        position: context.position,
      };
    }
    case 'MessageDeleted': {
      if (doc === null) return null;
      const liveMessageCount = context.deletedMessageKnown ? Math.max(0, doc.liveMessageCount - 1) : doc.liveMessageCount;
      const lastMessage = doc.lastMessage && evolveMessageState(doc.lastMessage, event, context);
      if (liveMessageCount === doc.liveMessageCount && lastMessage === doc.lastMessage) return doc;
      // Bookkeeping alone (an older message deleted) is no visible change: updatedAt stays.
      const updatedAt = lastMessage === doc.lastMessage ? doc.updatedAt : context.at;
      return { ...doc, liveMessageCount, lastMessage, updatedAt, position: context.position };
    }
    case 'MessagesRead':
    case 'MessageDelivered': {
      if (!doc?.lastMessage) return doc;
      const lastMessage = evolveMessageState(doc.lastMessage, event, context);
      if (lastMessage === doc.lastMessage) return doc;
      return { ...doc, lastMessage, updatedAt: context.at, position: context.position };
    }
    case 'GroupPhotoUpdated': {
      if (doc?.type !== 'group' || doc.groupImage === event.data.groupImage) return doc;
      return { ...doc, groupImage: event.data.groupImage, updatedAt: context.at, position: context.position };
    }
    case 'GroupPhotoRemoved': {
      if (doc?.type !== 'group' || doc.groupImage === null) return doc;
      return { ...doc, groupImage: null, updatedAt: context.at, position: context.position };
    }
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      return doc;
  }
}

type CreatedFields = Pick<ConversationDoc, '_id' | 'type' | 'name' | 'participantIds' | 'admins' | 'createdBy' | 'createdAt'>;

function created(context: ProjectionContext, fields: CreatedFields): ConversationDoc {
  return {
    ...fields,
    groupImage: null,
    readerIds: [...fields.participantIds],
    messageCount: 0,
    liveMessageCount: 0,
    lastMessage: null,
    lastActivityAt: fields.createdAt,
    updatedAt: fields.createdAt,
    position: context.position,
  };
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** The conversation an event belongs to; blocks live on a pair's stream but change no conversation. */
export function conversationIdOf(event: DomainEvent): string | undefined {
  switch (event.type) {
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      return undefined;
    default:
      return event.data.conversationId;
  }
}
