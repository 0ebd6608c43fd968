import type { DomainEvent } from '@chat/contracts';
import type { MessageIndexDoc, ProjectionContext } from './read-model-documents';

/**
 * A message's own document: where it sits (conversation and `seq`, hence its timeline page)
 * and who sent it, written once when it is sent, plus the replies quoting it, which a
 * deletion of it must reach. Deliveries, reads and deletions name messages by id; this is how
 * they find the page to change, and how a history page `before` a message finds where to start.
 */

export interface MessageIndexContext extends ProjectionContext {
  /** The document this evolution is for. */
  readonly messageId: string;
  /** MessageSent: the new message's `seq`. */
  readonly seq?: number;
}

export function evolveMessageIndex(doc: MessageIndexDoc | null, event: DomainEvent, context: MessageIndexContext): MessageIndexDoc | null {
  switch (event.type) {
    case 'MessageSent': {
      const { messageId, conversationId, senderId, replyTo } = event.data;
      const seq = context.seq;
      if (seq === undefined) return doc;
      if (context.messageId === messageId) {
        if (doc !== null) return doc;
        return { _id: messageId, conversationId, seq, senderId, replies: [], position: context.position };
      }
      // The quoted message learns of its reply.
      if (context.messageId !== replyTo || doc === null || doc.conversationId !== conversationId || doc.replies.includes(seq)) return doc;
      return { ...doc, replies: [...doc.replies, seq], position: context.position };
    }
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'MessageDeleted':
    case 'MessagesRead':
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return doc;
  }
}
