import type { DomainEvent } from '@chat/contracts';
import { joinersOf, type KnownMessage } from './conversations.projection';
import { unhandled } from './exhaustive';
import type { ConversationDoc, InboxDoc, InboxEntry, ProjectionContext } from './read-model-documents';

/**
 * A user's inbox: one entry per conversation they are or were a member of. It answers, with
 * one lookup, which conversations a user has, their unread counts, and which version of each
 * conversation's view is current (so a reader that remembers conversations reads only what
 * changed).
 *
 * Unread counts follow the write side's message log: messages from others that the user has
 * not read and that are not deleted, over the whole conversation. So:
 *   - a member added later starts with every message not deleted (history is unread);
 *   - a member who left keeps counting what is sent meanwhile (the write side keeps their
 *     read state, so it is unread when they return);
 *   - deleting a message takes it off the count of everyone who had not read it (what each
 *     user read is kept beside the inbox, reads.projection.ts);
 *   - a MessagesRead lists exactly the messages that became read for that reader.
 */

/** What every inbox an event reaches gets besides the event (the same for each). */
export interface InboxContext extends ProjectionContext {
  readonly conversationId: string;
  /** The conversation as it was before the event. */
  readonly conversation: ConversationDoc | null;
  /** The conversation's `viewPosition` once the event is applied: a member entry's version. */
  readonly version: string | null;
  /** MessageSent: the new message; MessageDeleted: the deleted one, when the read model holds it. */
  readonly message?: KnownMessage | null;
  /** MessagesRead: how many of the named messages the reader had not read before. */
  readonly newlyRead?: number;
  /** MessageDeleted: whether a user had read the deleted message (reads.projection.ts). */
  readonly hadRead?: (userId: string) => boolean;
}

/**
 * A user's entry for the event's conversation (undefined: none yet), after the event. Returns
 * `entry` itself when nothing changes. The inbox document is this, for each of its entries
 * (batch-projection.ts applies it).
 */
export function evolveInboxEntry(entry: InboxEntry | undefined, event: DomainEvent, userId: string, context: InboxContext): InboxEntry | undefined {
  const { conversation } = context;
  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated': {
      if (conversation !== null || entry || !event.data.participantIds.includes(userId) || context.version === null) return entry;
      return { member: true, version: context.version, unread: 0 };
    }
    case 'ParticipantsAdded': {
      if (conversation?.type !== 'group' || context.version === null) return entry;
      if (!joinersOf(conversation, event.data.userIds).includes(userId)) return entry && versioned(entry, context);
      return {
        member: true,
        version: context.version,
        // A returning member's count went on counting while they were away.
        unread: entry ? entry.unread : conversation.liveMessageCount,
      };
    }
    case 'ParticipantRemoved': {
      if (!entry) return entry;
      if (event.data.userId === userId && entry.member && conversation?.participantIds.includes(userId)) return { ...entry, member: false };
      return versioned(entry, context);
    }
    case 'MessageSent': {
      const message = context.message;
      if (!entry || !message) return entry;
      const after = versioned(entry, context);
      return message.senderId === userId ? after : { ...after, unread: entry.unread + 1 };
    }
    case 'MessageDeleted': {
      const message = context.message;
      if (!entry) return entry;
      const after = versioned(entry, context);
      const wasUnread = message && message.senderId !== userId && !context.hadRead?.(userId) && entry.unread > 0;
      return wasUnread ? { ...after, unread: entry.unread - 1 } : after;
    }
    case 'MessagesRead': {
      if (!entry) return entry;
      const after = versioned(entry, context);
      const newlyRead = context.newlyRead ?? 0;
      if (event.data.readerId !== userId || newlyRead === 0) return after;
      return { ...after, unread: Math.max(0, entry.unread - newlyRead) };
    }
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return entry && versioned(entry, context);
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      return entry;
    default:
      // The return type admits undefined, so only this makes the compiler list a new event here.
      return unhandled(event);
  }
}

/** A member's entry carries the conversation view's new version (a former member's is not listed, so it need not). */
function versioned(entry: InboxEntry, context: InboxContext): InboxEntry {
  if (!entry.member || context.version === null || entry.version === context.version) return entry;
  return { ...entry, version: context.version };
}

/** The entries of the conversations a user is a member of. */
export function memberEntries(doc: InboxDoc | null): [string, InboxEntry][] {
  return Object.entries(doc?.conversations ?? {}).filter(([, entry]) => entry.member);
}
