import type { DomainEvent } from '@chat/contracts';
import { joinersOf, type KnownMessage, undeliveredFromOthers } from './conversations.projection';
import type { ConversationDoc, InboxDoc, InboxEntry, ProjectionContext } from './read-model-documents';
import { addSeqs, hasSeq, noSeqs, removeSeqs } from './seq-ranges';

/**
 * A user's inbox: one entry per conversation they are or were a member of. It answers, with
 * one lookup, the conversation list (which conversations, their unread counts, and the version
 * of each conversation document that is current), and what waits for delivery to the user
 * when they connect.
 *
 * Unread counts follow the write side's message log: messages from others that the user has
 * not read and that are not deleted, over the whole conversation. So:
 *   - a member added later starts with every message not deleted (history is unread);
 *   - a member who left keeps counting what is sent meanwhile (the write side keeps their
 *     read state, so it is unread when they return);
 *   - deleting a message takes it off the count of everyone who had not read it (hence the
 *     seqs each user read, kept here as ranges);
 *   - a MessagesRead lists exactly the messages that became read for that reader.
 *
 * Pending: messages from others that reached no recipient yet and are not deleted, in the
 * conversations the user is a member of. A delivery to anyone takes a message off everyone's.
 */

export interface InboxContext extends ProjectionContext {
  /** The inbox's user. */
  readonly userId: string;
  readonly conversationId: string;
  /** The conversation as it was before the event. */
  readonly conversation: ConversationDoc | null;
  /** The conversation document's position once the event is applied: the entry's new version. */
  readonly version: string | null;
  /** MessageSent: the new message; MessageDeleted: the deleted one, when the read model holds it. */
  readonly message?: KnownMessage | null;
  /** MessagesRead, MessageDelivered: the seqs of the named messages the read model holds. */
  readonly seqs?: readonly number[];
}

export function evolveInbox(doc: InboxDoc | null, event: DomainEvent, context: InboxContext): InboxDoc | null {
  const { userId, conversation } = context;
  const entry = doc?.conversations[context.conversationId];
  const next = evolveEntry(entry, event, context, userId, conversation);
  if (next === entry || next === undefined) return doc;
  return {
    _id: userId,
    conversations: { ...doc?.conversations, [context.conversationId]: next },
    position: context.position,
  };
}

function evolveEntry(
  entry: InboxEntry | undefined,
  event: DomainEvent,
  context: InboxContext,
  userId: string,
  conversation: ConversationDoc | null,
): InboxEntry | undefined {
  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated': {
      if (conversation !== null || entry || !event.data.participantIds.includes(userId) || context.version === null) return entry;
      return { member: true, version: context.version, unread: 0, read: noSeqs, pending: noSeqs };
    }
    case 'ParticipantsAdded': {
      if (conversation?.type !== 'group' || context.version === null) return entry;
      if (!joinersOf(conversation, event.data.userIds).includes(userId)) return entry && versioned(entry, context);
      return {
        member: true,
        version: context.version,
        // A returning member's count went on counting while they were away.
        unread: entry ? entry.unread : conversation.liveMessageCount,
        read: entry?.read ?? noSeqs,
        pending: undeliveredFromOthers(conversation, userId),
      };
    }
    case 'ParticipantRemoved': {
      if (!entry) return entry;
      if (event.data.userId === userId && entry.member && conversation?.participantIds.includes(userId)) {
        return { ...entry, member: false, pending: noSeqs };
      }
      return versioned(entry, context);
    }
    case 'MessageSent': {
      const message = context.message;
      if (!entry || !message) return entry;
      const fromOther = message.senderId !== userId;
      const after = versioned(entry, context);
      if (!fromOther) return after;
      return {
        ...after,
        unread: entry.unread + 1,
        pending: entry.member ? addSeqs(entry.pending, [message.seq]) : entry.pending,
      };
    }
    case 'MessageDeleted': {
      const message = context.message;
      if (!entry) return entry;
      const after = versioned(entry, context);
      if (!message) return after;
      const wasUnread = message.senderId !== userId && !hasSeq(entry.read, message.seq) && entry.unread > 0;
      const pending = removeSeqs(entry.pending, [message.seq]);
      if (!wasUnread && pending === entry.pending) return after;
      return { ...after, unread: wasUnread ? entry.unread - 1 : entry.unread, pending };
    }
    case 'MessagesRead': {
      if (!entry) return entry;
      const after = versioned(entry, context);
      if (event.data.readerId !== userId) return after;
      const newlyRead = (context.seqs ?? []).filter((seq) => !hasSeq(entry.read, seq));
      if (newlyRead.length === 0) return after;
      return { ...after, read: addSeqs(entry.read, newlyRead), unread: Math.max(0, entry.unread - new Set(newlyRead).size) };
    }
    case 'MessageDelivered': {
      if (!entry) return entry;
      const after = versioned(entry, context);
      const pending = removeSeqs(entry.pending, context.seqs ?? []);
      return pending === entry.pending ? after : { ...after, pending };
    }
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return entry && versioned(entry, context);
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      return entry;
  }
}

/** A member's entry carries the conversation's new version (a former member's is not listed, so it need not). */
function versioned(entry: InboxEntry, context: InboxContext): InboxEntry {
  if (!entry.member || context.version === null || entry.version === context.version) return entry;
  return { ...entry, version: context.version };
}

/** The entries of the conversations a user is a member of. */
export function memberEntries(doc: InboxDoc | null): [string, InboxEntry][] {
  return Object.entries(doc?.conversations ?? {}).filter(([, entry]) => entry.member);
}
