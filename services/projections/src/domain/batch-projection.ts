import type { DomainEvent, MessageView } from '@chat/contracts';
import { conversationIdOf, evolveConversation } from './conversations.projection';
import type { DocumentMap, ReadModelDocuments, StoredDocument } from './document-set';
import { evolveMessage, messageIdsOf } from './messages.projection';
import { type ConversationDoc, contextOf, type ProjectedEvent, type ProjectionContext, unreadCountId } from './read-model-documents';
import { messageView } from './read-model-views';
import { evolveUnreadCount, type UnreadCountContext } from './unread-counts.projection';
import { evolveUser, userIdsOf } from './users.projection';

/**
 * Applies a batch of events, in position order, to the documents of a ReadModelDocuments, in
 * memory. Each document is changed only by events above its own position (the guard): an
 * event redelivered, or re-applied after a restart, finds its effect already there and
 * changes nothing, so it also reports nothing to notify.
 *
 * Within one event the documents are evolved in a fixed order (messages, unread counts, then
 * the conversation), so that each sees the conversation as it was before the event.
 *
 * Why re-applying is exact even after a write that stopped half-way: documents are written
 * back in dependency order (unread counts and messages, then conversations, then users; see
 * read-model-storage.ts), batch after batch. The only mutable state a projection reads from
 * another document is the conversation's (its readers and counters, a new message's place),
 * and a conversation document is written after every document that depends on it, so a
 * dependent is never behind a conversation that is already past the event being re-applied.
 * A message's sender never changes, a deleted message's readers never change, and a quoted
 * message's deletion is applied to its replies by the deletion itself, so those reads are
 * exact whenever they happen.
 */

export interface ChangedDocumentIds {
  readonly users: string[];
  readonly conversations: string[];
  readonly messages: string[];
  readonly unreadCounts: string[];
}

/** What an event did that someone must be told about (see gateway-notifications.ts). */
export type ProjectionEffect =
  | { readonly kind: 'message-sent'; readonly message: MessageView }
  | { readonly kind: 'message-deleted'; readonly conversationId: string; readonly messageId: string }
  | { readonly kind: 'messages-read'; readonly conversationId: string; readonly readerId: string; readonly messageIds: string[] }
  | {
      readonly kind: 'messages-delivered';
      readonly conversationId: string;
      /** Messages whose status went from `sent` to `delivered`, with their senders. */
      readonly messages: { readonly messageId: string; readonly senderId: string }[];
    }
  | { readonly kind: 'group-photo-updated'; readonly conversationId: string; readonly groupImage: string; readonly updatedBy: string }
  | { readonly kind: 'group-photo-removed'; readonly conversationId: string; readonly removedBy: string };

export interface EventChanges {
  readonly documents: ChangedDocumentIds;
  /** Null when the event changed nothing anyone is told about (or nothing at all). */
  readonly effect: ProjectionEffect | null;
}

export interface AppliedEvent {
  readonly event: ProjectedEvent;
  readonly changes: EventChanges;
}

export function projectEvents(events: readonly ProjectedEvent[], documents: ReadModelDocuments): AppliedEvent[] {
  return events.map((event) => ({ event, changes: projectEvent(event, documents) }));
}

function appliesTo(doc: StoredDocument | null, context: ProjectionContext): boolean {
  return doc === null || doc.position < context.position;
}

/**
 * Runs one projection on one document under the guard and keeps the result. Returns the new
 * document when it changed, undefined otherwise.
 */
function evolveIn<D extends StoredDocument, C extends ProjectionContext>(
  map: DocumentMap<D>,
  id: string,
  changed: string[],
  context: C,
  evolve: (doc: D | null, context: C) => D | null,
): D | undefined {
  const before = map.get(id);
  if (!appliesTo(before, context)) return undefined;
  const after = evolve(before, context);
  if (after === null || after === before) return undefined;
  map.put(after);
  changed.push(id);
  return after;
}

function projectEvent(projected: ProjectedEvent, documents: ReadModelDocuments): EventChanges {
  const { event } = projected;
  const context = contextOf(projected);
  const changed: ChangedDocumentIds = { users: [], conversations: [], messages: [], unreadCounts: [] };

  for (const userId of userIdsOf(event)) {
    evolveIn(documents.users, userId, changed.users, context, (doc) => evolveUser(doc, event, context));
  }

  const conversationId = conversationIdOf(event);
  if (conversationId === undefined) return { documents: changed, effect: null };
  const conversation = documents.conversations.get(conversationId);
  const updateUnread = (userId: string, extra: Partial<UnreadCountContext> = {}): void => {
    const unreadContext: UnreadCountContext = { ...context, ...extra, userId, conversationId };
    evolveIn(documents.unreadCounts, unreadCountId(userId, conversationId), changed.unreadCounts, unreadContext, (doc) =>
      evolveUnreadCount(doc, event, unreadContext),
    );
  };
  const messageContext = context;
  let effect: ProjectionEffect | null = null;
  let conversationContext: Parameters<typeof evolveConversation>[2] = context;

  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
      for (const userId of new Set(event.data.participantIds)) updateUnread(userId);
      break;
    case 'ParticipantsAdded':
      for (const userId of new Set(event.data.userIds)) updateUnread(userId, { liveMessageCount: conversation?.liveMessageCount ?? 0 });
      break;
    case 'MessageSent': {
      if (conversation === null) break;
      const { messageId, senderId, replyTo } = event.data;
      const sender = documents.users.get(senderId);
      const quoted = replyTo === null ? null : documents.messages.get(replyTo);
      conversationContext = { ...context, sender, replyTo: quoted };
      // The message's place comes from the conversation, so it is only decided while the
      // conversation itself is below the event (otherwise the message is already stored).
      if (appliesTo(conversation, context)) {
        const sentContext = { ...context, sender, replyTo: quoted, seq: conversation.messageCount + 1 };
        const created = evolveIn(documents.messages, messageId, changed.messages, sentContext, (doc) =>
          evolveMessage(doc, event, sentContext),
        );
        if (created) effect = { kind: 'message-sent', message: messageView(created) };
      }
      for (const userId of conversation.readerIds) if (userId !== senderId) updateUnread(userId);
      break;
    }
    case 'MessageDeleted': {
      const { messageId } = event.data;
      const message = documents.messages.get(messageId);
      const deleted = evolveIn(documents.messages, messageId, changed.messages, messageContext, (doc) =>
        evolveMessage(doc, event, messageContext),
      );
      if (deleted) effect = { kind: 'message-deleted', conversationId, messageId };
      for (const replyId of documents.repliesTo(messageId)) {
        evolveIn(documents.messages, replyId, changed.messages, messageContext, (doc) => evolveMessage(doc, event, messageContext));
      }
      const deletedMessage = message && { senderId: message.sender._id, readBy: message.readBy };
      for (const userId of conversation?.readerIds ?? []) updateUnread(userId, { deletedMessage });
      conversationContext = { ...context, deletedMessageKnown: message !== null };
      break;
    }
    case 'MessagesRead': {
      const read: string[] = [];
      for (const messageId of new Set(event.data.messageIds)) {
        const after = evolveIn(documents.messages, messageId, changed.messages, messageContext, (doc) =>
          evolveMessage(doc, event, messageContext),
        );
        if (after) read.push(messageId);
      }
      if (read.length > 0) effect = { kind: 'messages-read', conversationId, readerId: event.data.readerId, messageIds: read };
      updateUnread(event.data.readerId);
      break;
    }
    case 'MessageDelivered': {
      const delivered: { messageId: string; senderId: string }[] = [];
      for (const messageId of new Set(event.data.messageIds)) {
        const before = documents.messages.get(messageId);
        const after = evolveIn(documents.messages, messageId, changed.messages, messageContext, (doc) =>
          evolveMessage(doc, event, messageContext),
        );
        if (after && before?.status === 'sent' && after.status === 'delivered') delivered.push({ messageId, senderId: after.sender._id });
      }
      if (delivered.length > 0) effect = { kind: 'messages-delivered', conversationId, messages: delivered };
      break;
    }
    default:
      break;
  }

  const conversationAfter = evolveIn(documents.conversations, conversationId, changed.conversations, conversationContext, (doc) =>
    evolveConversation(doc, event, conversationContext),
  );
  if (conversationAfter && event.type === 'GroupPhotoUpdated') {
    effect = { kind: 'group-photo-updated', conversationId, groupImage: event.data.groupImage, updatedBy: event.data.updatedBy };
  }
  if (conversationAfter && event.type === 'GroupPhotoRemoved') {
    effect = { kind: 'group-photo-removed', conversationId, removedBy: event.data.removedBy };
  }
  return { documents: changed, effect };
}

// ---------------------------------------------------------------- what a batch needs loaded

/** Ids of the documents a batch reads or changes, per read model. */
export interface DocumentKeys {
  readonly users: Set<string>;
  readonly conversations: Set<string>;
  readonly messages: Set<string>;
  /** Messages deleted in the batch: their replies must be loaded too (their quotes change). */
  readonly repliesOf: Set<string>;
}

/** Everything but the unread counts, which depend on the conversations' readers (see unreadCountKeys). */
export function documentKeys(events: readonly ProjectedEvent[]): DocumentKeys {
  const keys: DocumentKeys = { users: new Set(), conversations: new Set(), messages: new Set(), repliesOf: new Set() };
  for (const { event } of events) {
    for (const userId of userIdsOf(event)) keys.users.add(userId);
    const conversationId = conversationIdOf(event);
    if (conversationId !== undefined) keys.conversations.add(conversationId);
    for (const messageId of messageIdsOf(event)) keys.messages.add(messageId);
    if (event.type === 'MessageSent') {
      keys.users.add(event.data.senderId);
      if (event.data.replyTo !== null) keys.messages.add(event.data.replyTo);
    }
    if (event.type === 'MessageDeleted') keys.repliesOf.add(event.data.messageId);
  }
  return keys;
}

function changesUnreadCounts(event: DomainEvent): boolean {
  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'MessageSent':
    case 'MessageDeleted':
    case 'MessagesRead':
      return true;
    default:
      return false;
  }
}

/**
 * The unread-count documents a batch may change, once its conversations are loaded: every
 * reader (stored, or joining within the batch) of every conversation whose counts move.
 */
export function unreadCountKeys(events: readonly ProjectedEvent[], conversations: DocumentMap<ConversationDoc>): Set<string> {
  const readers = new Map<string, Set<string>>();
  const readersOf = (conversationId: string): Set<string> => {
    let set = readers.get(conversationId);
    if (!set) {
      set = new Set(conversations.get(conversationId)?.readerIds ?? []);
      readers.set(conversationId, set);
    }
    return set;
  };
  const counted = new Set<string>();
  for (const { event } of events) {
    if (!changesUnreadCounts(event)) continue;
    const conversationId = conversationIdOf(event);
    if (conversationId === undefined) continue;
    const set = readersOf(conversationId);
    if (event.type === 'DirectConversationCreated' || event.type === 'GroupConversationCreated') {
      for (const userId of event.data.participantIds) set.add(userId);
    }
    if (event.type === 'ParticipantsAdded') for (const userId of event.data.userIds) set.add(userId);
    if (event.type === 'MessagesRead') set.add(event.data.readerId);
    counted.add(conversationId);
  }
  const keys = new Set<string>();
  for (const conversationId of counted) {
    for (const userId of readersOf(conversationId)) keys.add(unreadCountId(userId, conversationId));
  }
  return keys;
}
