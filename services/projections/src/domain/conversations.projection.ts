import type { DomainEvent } from '@chat/contracts';
import { evolveMessageState, sentMessageState } from './messages.projection';
import { type ConversationDoc, isoTime, type MessageState, type ProjectionContext, type UserDoc } from './read-model-documents';
import { addSeq, hasSeq, removeSeqs, type SeqRanges, unionSeqs } from './seq-ranges';

/**
 * The conversations read model: members, admins, name and photo, the last message (evolved
 * by the messages projection's own function, so its status and deletion follow the timeline's),
 * activity time, the counters new messages and new members need, and what waits for delivery.
 *
 * It depends on no other read model's mutable state: its last message is built from the
 * event, the sender (whose name and image never change) and the quoted message (whose quote
 * a later MessageDeleted corrects, wherever it was taken from), and the messages an event
 * names are known by their place and sender, which never change. That is what lets a
 * conversation document be brought up to date on its own after a partial write.
 */

/** A message an event names, as its own document (message-index) knows it. */
export interface KnownMessage {
  readonly seq: number;
  readonly senderId: string;
}

/** What the conversation projection needs besides the event. */
export interface ConversationContext extends ProjectionContext {
  /** MessageSent: the sender's user document. */
  readonly sender?: UserDoc | null;
  /** MessageSent: the quoted message, when the message is a reply. */
  readonly replyTo?: MessageState | null;
  /** MessageDeleted, MessageDelivered: the named messages the read model holds, by id. */
  readonly messages?: ReadonlyMap<string, KnownMessage>;
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
        createdAt: isoTime(createdAt),
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
        createdAt: isoTime(createdAt),
      });
    }
    case 'ParticipantsAdded': {
      if (doc?.type !== 'group') return doc;
      const added = joinersOf(doc, event.data.userIds);
      if (added.length === 0) return doc;
      return {
        ...doc,
        participantIds: [...doc.participantIds, ...added],
        readerIds: unique([...doc.readerIds, ...added]),
        updatedAt: context.at,
        viewPosition: context.position,
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
        viewPosition: context.position,
        position: context.position,
      };
    }
    case 'MessageSent': {
      if (doc === null) return null;
      const seq = doc.messageCount + 1;
      const lastMessage = sentMessageState(event, { ...context, sender: context.sender ?? null, replyTo: context.replyTo ?? null, seq });
      const { senderId } = event.data;
      return {
        ...doc,
        messageCount: seq,
        liveMessageCount: doc.liveMessageCount + 1,
        lastMessage,
        undelivered: { ...doc.undelivered, [senderId]: addSeq(doc.undelivered[senderId] ?? [], seq) },
        lastActivityAt: lastMessage.createdAt > doc.lastActivityAt ? lastMessage.createdAt : doc.lastActivityAt,
        updatedAt: context.at,
        viewPosition: context.position,
        position: context.position,
      };
    }
    case 'MessageDeleted': {
      if (doc === null) return null;
      const known = context.messages?.get(event.data.messageId);
      const liveMessageCount = known ? Math.max(0, doc.liveMessageCount - 1) : doc.liveMessageCount;
      const lastMessage = doc.lastMessage && evolveMessageState(doc.lastMessage, event, context);
      const undelivered = known ? withoutUndelivered(doc.undelivered, [known]) : doc.undelivered;
      if (liveMessageCount === doc.liveMessageCount && lastMessage === doc.lastMessage && undelivered === doc.undelivered) return doc;
      return { ...doc, liveMessageCount, lastMessage, undelivered, ...shown(doc, lastMessage, context), position: context.position };
    }
    case 'MessageDelivered': {
      if (doc === null) return null;
      const known = event.data.messageIds.flatMap((id) => {
        const message = context.messages?.get(id);
        return message ? [message] : [];
      });
      const undelivered = withoutUndelivered(doc.undelivered, known);
      const lastMessage = doc.lastMessage && evolveMessageState(doc.lastMessage, event, context);
      if (undelivered === doc.undelivered && lastMessage === doc.lastMessage) return doc;
      return { ...doc, undelivered, lastMessage, ...shown(doc, lastMessage, context), position: context.position };
    }
    case 'MessagesRead': {
      if (!doc?.lastMessage) return doc;
      const lastMessage = evolveMessageState(doc.lastMessage, event, context);
      if (lastMessage === doc.lastMessage) return doc;
      return { ...doc, lastMessage, updatedAt: context.at, viewPosition: context.position, position: context.position };
    }
    case 'GroupPhotoUpdated': {
      if (doc?.type !== 'group' || doc.groupImage === event.data.groupImage) return doc;
      return { ...doc, groupImage: event.data.groupImage, updatedAt: context.at, viewPosition: context.position, position: context.position };
    }
    case 'GroupPhotoRemoved': {
      if (doc?.type !== 'group' || doc.groupImage === null) return doc;
      return { ...doc, groupImage: null, updatedAt: context.at, viewPosition: context.position, position: context.position };
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
    undelivered: {},
    lastActivityAt: fields.createdAt,
    updatedAt: fields.createdAt,
    viewPosition: context.position,
    position: context.position,
  };
}

/**
 * What a change shows: with the last message changed, a new `updatedAt` and view position;
 * bookkeeping alone (an older message deleted or delivered) is no visible change.
 */
function shown(doc: ConversationDoc, lastMessage: MessageState | null, context: ProjectionContext): Pick<ConversationDoc, 'updatedAt' | 'viewPosition'> {
  return lastMessage === doc.lastMessage ? { updatedAt: doc.updatedAt, viewPosition: doc.viewPosition } : { updatedAt: context.at, viewPosition: context.position };
}

function withoutUndelivered(undelivered: Record<string, SeqRanges>, messages: readonly KnownMessage[]): Record<string, SeqRanges> {
  const bySender = new Map<string, number[]>();
  for (const { seq, senderId } of messages) {
    if (undelivered[senderId] && hasSeq(undelivered[senderId], seq)) bySender.set(senderId, [...(bySender.get(senderId) ?? []), seq]);
  }
  if (bySender.size === 0) return undelivered;
  const result: Record<string, SeqRanges> = {};
  for (const [senderId, ranges] of Object.entries(undelivered)) {
    const seqs = bySender.get(senderId);
    const after = seqs ? removeSeqs(ranges, seqs) : ranges;
    if (after.length > 0) result[senderId] = after;
  }
  return result;
}

/** The users of a ParticipantsAdded who are not members yet, once each, in the order named. */
export function joinersOf(doc: ConversationDoc | null, userIds: readonly string[]): string[] {
  return unique(userIds).filter((userId) => !doc?.participantIds.includes(userId));
}

/** What waits for `userId` to connect in a conversation: everyone else's undelivered messages. */
export function undeliveredFromOthers(doc: ConversationDoc | null, userId: string): SeqRanges {
  let pending: SeqRanges = [];
  for (const [senderId, seqs] of Object.entries(doc?.undelivered ?? {})) {
    if (senderId !== userId) pending = unionSeqs(pending, seqs);
  }
  return pending;
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
      return event.data.conversationId;
  }
}
