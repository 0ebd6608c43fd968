import type { DomainEvent } from '@chat/contracts';
import { unhandled } from './exhaustive';
import { type ProjectionContext, type ReadStateDoc, readStateId } from './read-model-documents';
import { addSeqs } from './seq-ranges';

/**
 * What each user read of each conversation, as seq ranges (nearly always one): it tells a
 * MessagesRead which messages are new to their reader, and a MessageDeleted whose unread
 * count it lowers (only of those who had not read it). Kept out of the inbox, which every
 * list reads: a user who reads here and there ends with many ranges, and only the events of
 * that conversation pay for them.
 */

export interface ReadStateContext extends ProjectionContext {
  readonly userId: string;
  readonly conversationId: string;
  /** MessagesRead: the seqs of the named messages the read model holds. */
  readonly seqs: readonly number[];
}

export function evolveReadState(doc: ReadStateDoc | null, event: DomainEvent, context: ReadStateContext): ReadStateDoc | null {
  switch (event.type) {
    case 'MessagesRead': {
      if (event.data.readerId !== context.userId || event.data.conversationId !== context.conversationId) return doc;
      const read = addSeqs(doc?.read ?? [], context.seqs);
      if (doc !== null && read === doc.read) return doc;
      if (doc === null && read.length === 0) return null;
      return { _id: readStateId(context.userId, context.conversationId), read, position: context.position };
    }
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'MessageSent':
    case 'MessageDeleted':
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return doc;
    default:
      return unhandled(event);
  }
}

