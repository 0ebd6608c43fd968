import type { DomainEvent } from '@chat/contracts';
import { joinersOf } from './conversations.projection';
import { unhandled } from './exhaustive';
import type { ConversationDoc, ProjectionContext } from './read-model-documents';

/**
 * Contacts: for each user, everyone who shares a conversation with them now, counted per
 * conversation shared, so that leaving one of two shared groups keeps the other's contact.
 * Presence announces a user's `user:online`/`user:offline` to exactly these (the API
 * contract's audience) with one lookup, however many conversations the user has.
 */

export interface ContactsContext extends ProjectionContext {
  /** The contacts' user. */
  readonly userId: string;
  /** The conversation as it was before the event. */
  readonly conversation: ConversationDoc | null;
}

/**
 * How the event changes a user's contacts: the count of conversations shared with each
 * contact it touches goes up or down by the delta (at 0 the contact is gone). Empty when the
 * event changes none. The contacts document is this, applied (batch-projection.ts).
 */
export function contactDeltas(event: DomainEvent, context: ContactsContext): Map<string, number> {
  const { userId, conversation } = context;
  const changes = new Map<string, number>();
  const count = (contactId: string, delta: number): void => {
    if (contactId !== userId) changes.set(contactId, (changes.get(contactId) ?? 0) + delta);
  };
  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated': {
      const members = new Set(event.data.participantIds);
      if (conversation !== null || !members.has(userId)) break;
      for (const memberId of members) count(memberId, 1);
      break;
    }
    case 'ParticipantsAdded': {
      if (conversation?.type !== 'group') break;
      const joiners = joinersOf(conversation, event.data.userIds);
      if (joiners.includes(userId)) {
        for (const memberId of [...conversation.participantIds, ...joiners]) count(memberId, 1);
      } else if (conversation.participantIds.includes(userId)) {
        for (const joinerId of joiners) count(joinerId, 1);
      }
      break;
    }
    case 'ParticipantRemoved': {
      const removed = event.data.userId;
      if (conversation?.type !== 'group' || !conversation.participantIds.includes(removed)) break;
      if (removed === userId) {
        for (const memberId of conversation.participantIds) count(memberId, -1);
      } else if (conversation.participantIds.includes(userId)) {
        count(removed, -1);
      }
      break;
    }
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'MessageSent':
    case 'MessageDeleted':
    case 'MessagesRead':
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      break;
    default:
      unhandled(event);
  }
  return changes;
}

/** The users whose contacts an event changes, given the conversation before it. */
export function contactsChangedBy(event: DomainEvent, conversation: ConversationDoc | null): string[] {
  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
      return conversation === null ? [...new Set(event.data.participantIds)] : [];
    case 'ParticipantsAdded': {
      if (conversation?.type !== 'group') return [];
      const joiners = joinersOf(conversation, event.data.userIds);
      return joiners.length === 0 ? [] : [...conversation.participantIds, ...joiners];
    }
    case 'ParticipantRemoved':
      return conversation?.type === 'group' && conversation.participantIds.includes(event.data.userId) ? [...conversation.participantIds] : [];
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'MessageSent':
    case 'MessageDeleted':
    case 'MessagesRead':
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return [];
  }
}
