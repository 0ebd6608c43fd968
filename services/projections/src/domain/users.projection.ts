import type { DomainEvent } from '@chat/contracts';
import type { ProjectionContext, UserDoc } from './read-model-documents';

/**
 * The users read model: registration, and the blocks a user made. Blocks are recorded on the
 * pair's conversation stream (the write side decides them there), so a block and the
 * blocker's registration sit on different streams; a block met before the registration
 * keeps a placeholder that the registration fills in.
 *
 * Returns `doc` itself when the event changes nothing, so callers can tell a change by identity.
 */
export function evolveUser(doc: UserDoc | null, event: DomainEvent, context: ProjectionContext): UserDoc | null {
  if (doc !== null && !userIdsOf(event).includes(doc._id)) return doc;
  switch (event.type) {
    case 'UserRegistered': {
      const { userId, name, profileImage } = event.data;
      if (doc?.registered) return doc;
      return { _id: userId, name, profileImage, registered: true, blocks: doc?.blocks ?? [], position: context.position };
    }
    case 'UserBlocked': {
      const { userId, blockedUserId } = event.data;
      const current = doc ?? placeholder(userId, context);
      if (doc && current.blocks.includes(blockedUserId)) return doc;
      return { ...current, blocks: [...current.blocks, blockedUserId], position: context.position };
    }
    case 'UserUnblocked': {
      const { blockedUserId } = event.data;
      if (!doc?.blocks.includes(blockedUserId)) return doc;
      return { ...doc, blocks: doc.blocks.filter((id) => id !== blockedUserId), position: context.position };
    }
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'MessageSent':
    case 'MessageDeleted':
    case 'MessagesRead':
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return doc;
  }
}

function placeholder(userId: string, context: ProjectionContext): UserDoc {
  return { _id: userId, name: '', profileImage: null, registered: false, blocks: [], position: context.position };
}

/** The user documents an event changes: the registered user, or the blocker. */
export function userIdsOf(event: DomainEvent): string[] {
  switch (event.type) {
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      return [event.data.userId];
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'MessageSent':
    case 'MessageDeleted':
    case 'MessagesRead':
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return [];
  }
}
