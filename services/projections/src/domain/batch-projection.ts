import type { DomainEvent, MessageView } from '@chat/contracts';
import { contactDeltas, contactsChangedBy } from './contacts.projection';
import { conversationIdOf, evolveConversation, joinersOf, type KnownMessage } from './conversations.projection';
import { type DocumentMap, type ReadModelDocuments, type ReadModelKey, readModelKeys, type StoredDocument } from './document-set';
import { unhandled } from './exhaustive';
import { evolveInboxEntry, type InboxContext } from './inboxes.projection';
import { evolveMessageIndex } from './message-index.projection';
import { type MessageSentContext, messageIdsOf } from './messages.projection';
import {
  type ContactsDoc,
  type ConversationDoc,
  contextOf,
  type InboxDoc,
  type ProjectedEvent,
  type ProjectionContext,
  readStateId,
  timelinePageId,
  timelinePageOf,
  type TimelinePageDoc,
} from './read-model-documents';
import { messageView } from './read-model-views';
import { evolveReadState } from './reads.projection';
import { hasSeq } from './seq-ranges';
import { evolveTimelinePage, messageOnPage } from './timeline.projection';
import { evolveUser, userIdsOf } from './users.projection';

/**
 * Applies a batch of events, in position order, to the documents of a ReadModelDocuments, in
 * memory. Each document is changed only by events above its own position (the guard): an
 * event redelivered, or re-applied after a restart, finds its effect already there and
 * changes nothing, so it also reports nothing to notify.
 *
 * Every document that depends on a conversation (its messages' documents and timeline pages,
 * its readers' inboxes, its members' contacts) is evolved with the conversation as it was
 * before the event, and written before it (read-model-storage.ts, writeOrder). So after a
 * write that stopped half-way, no conversation is ahead of a document that depends on it:
 * when a conversation is already past an event, so is everything that event changed, and when
 * it is not, re-applying the event sees exactly the conversation it saw the first time. What
 * a dependent reads of other documents never changes once written: a message's place and
 * sender, a user's name and image.
 */

export type ChangedDocumentIds = { readonly [K in ReadModelKey]: string[] };

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

function noChanges(): ChangedDocumentIds {
  return { users: [], conversations: [], messages: [], timeline: [], inboxes: [], reads: [], contacts: [] };
}

/**
 * Runs one projection on one document under the guard and keeps the result. Returns the new
 * document when it changed, undefined otherwise.
 */
function evolveIn<D extends StoredDocument>(
  map: DocumentMap<D>,
  id: string,
  changed: string[],
  context: ProjectionContext,
  evolve: (doc: D | null) => D | null,
): D | undefined {
  const before = map.get(id);
  if (!appliesTo(before, context)) return undefined;
  const after = evolve(before);
  if (after === null || after === before) return undefined;
  map.put(after);
  changed.push(id);
  return after;
}

/**
 * An inbox takes an event one entry at a time (inboxes.projection.ts); the document is
 * changed in place (DocumentMap.own), since a busy user's inbox changes with every message of
 * every conversation they are in.
 */
function applyToInbox(map: DocumentMap<InboxDoc>, userId: string, event: DomainEvent, context: InboxContext, changed: string[]): void {
  const doc = map.get(userId);
  if (!appliesTo(doc, context)) return;
  const entry = doc?.conversations[context.conversationId];
  const next = evolveInboxEntry(entry, event, userId, context);
  if (next === entry || next === undefined) return;
  const draft = map.own(userId, () => ({ _id: userId, conversations: {}, position: context.position }), copyInbox);
  draft.conversations[context.conversationId] = next;
  draft.position = context.position;
  changed.push(userId);
}

function applyToContacts(map: DocumentMap<ContactsDoc>, userId: string, deltas: ReadonlyMap<string, number>, context: ProjectionContext, changed: string[]): void {
  if (deltas.size === 0 || !appliesTo(map.get(userId), context)) return;
  const draft = map.own(userId, () => ({ _id: userId, shared: {}, position: context.position }), copyContacts);
  for (const [contactId, delta] of deltas) {
    const count = (draft.shared[contactId] ?? 0) + delta;
    if (count > 0) draft.shared[contactId] = count;
    else delete draft.shared[contactId];
  }
  draft.position = context.position;
  changed.push(userId);
}

const copyInbox = (doc: InboxDoc): InboxDoc => ({ ...doc, conversations: { ...doc.conversations } });
const copyContacts = (doc: ContactsDoc): ContactsDoc => ({ ...doc, shared: { ...doc.shared } });

function projectEvent(projected: ProjectedEvent, documents: ReadModelDocuments): EventChanges {
  const { event } = projected;
  const context = contextOf(projected);
  const changed = noChanges();

  const conversationId = conversationIdOf(event);
  if (conversationId === undefined) {
    for (const userId of userIdsOf(event)) evolveIn(documents.users, userId, changed.users, context, (doc) => evolveUser(doc, event, context));
    return { documents: changed, effect: null };
  }

  const before = documents.conversations.get(conversationId);
  // Everything an event changes is written before its conversation: a conversation past the
  // event means the rest is too.
  if (!appliesTo(before, context)) return { documents: changed, effect: null };
  const known = knownMessages(event, conversationId, documents);
  const pages = new PageEvolution(documents.timeline, changed.timeline, conversationId, context);
  let effect: ProjectionEffect | null = null;
  let conversationContext: Parameters<typeof evolveConversation>[2] = { ...context, messages: known };
  let message: KnownMessage | null = null;
  let newlyRead = 0;
  let hadRead: ((userId: string) => boolean) | undefined;

  switch (event.type) {
    case 'MessageSent': {
      if (before === null) break;
      const { messageId, senderId, replyTo } = event.data;
      const seq = before.messageCount + 1;
      // A message id seen before is that message again (its own document was counted, so its
      // place is behind the conversation's count), never a second message.
      const existing = documents.messages.get(messageId);
      if (existing && (existing.conversationId !== conversationId || existing.seq < seq)) return { documents: changed, effect: null };
      const quotedAt = replyTo === null ? undefined : known.get(replyTo);
      const quoted = quotedAt ? messageOnPage(documents.timeline.get(timelinePageId(conversationId, timelinePageOf(quotedAt.seq))), quotedAt.seq) : null;
      const sent: MessageSentContext = { ...context, sender: documents.users.get(senderId), replyTo: quoted, seq };
      conversationContext = { ...context, sender: sent.sender, replyTo: quoted };
      message = { seq, senderId };
      evolveIn(documents.messages, messageId, changed.messages, context, (doc) => evolveMessageIndex(doc, event, { ...context, messageId, seq }));
      if (replyTo !== null && quotedAt) {
        evolveIn(documents.messages, replyTo, changed.messages, context, (doc) => evolveMessageIndex(doc, event, { ...context, messageId: replyTo, seq }));
      }
      const page = pages.evolve(timelinePageOf(seq), event, { sent });
      const created = page && messageOnPage(page.after, seq);
      if (created && !messageOnPage(page.before, seq)) effect = { kind: 'message-sent', message: messageView(created) };
      break;
    }
    case 'MessageDeleted': {
      const { messageId } = event.data;
      message = known.get(messageId) ?? null;
      if (message === null) break;
      const deleted = message;
      hadRead = (userId) => hasSeq(documents.reads.get(readStateId(userId, conversationId))?.read ?? [], deleted.seq);
      const concerned = [message.seq, ...(documents.messages.get(messageId)?.replies ?? [])];
      for (const [page, onPage] of byPage(concerned)) {
        const result = pages.evolve(page, event, { seqs: onPage });
        if (result && messageChanged(result, message.seq)) effect = { kind: 'message-deleted', conversationId, messageId };
      }
      break;
    }
    case 'MessagesRead': {
      // Only what this reader had not read yet changes (reads.projection.ts keeps what they read).
      const reader = event.data.readerId;
      const readsId = readStateId(reader, conversationId);
      const isReader = before?.readerIds.includes(reader) ?? false;
      const readBefore = (isReader ? documents.reads.get(readsId)?.read : undefined) ?? [];
      const unread = [...known].filter(([, m]) => !hasSeq(readBefore, m.seq));
      const seqs = unread.map(([, m]) => m.seq);
      newlyRead = seqs.length;
      if (isReader) {
        const readContext = { ...context, userId: reader, conversationId, seqs };
        evolveIn(documents.reads, readsId, changed.reads, context, (doc) => evolveReadState(doc, event, readContext));
      }
      const newly: DomainEvent = { ...event, data: { ...event.data, messageIds: unread.map(([id]) => id) } };
      const read: string[] = [];
      for (const [page, onPage] of byPage(seqs)) {
        const result = pages.evolve(page, newly, { seqs: onPage });
        if (!result) continue;
        for (const seq of onPage) if (messageChanged(result, seq)) read.push(messageOnPage(result.after, seq)?._id ?? '');
      }
      const inOrder = [...new Set(event.data.messageIds)].filter((id) => read.includes(id));
      if (inOrder.length > 0) effect = { kind: 'messages-read', conversationId, readerId: event.data.readerId, messageIds: inOrder };
      break;
    }
    case 'MessageDelivered': {
      const seqs = [...known.values()].map((m) => m.seq);
      const delivered = new Map<string, string>();
      for (const [page, onPage] of byPage(seqs)) {
        const result = pages.evolve(page, event, { seqs: onPage });
        if (!result) continue;
        for (const seq of onPage) {
          const was = messageOnPage(result.before, seq);
          const now = messageOnPage(result.after, seq);
          if (now && was?.status === 'sent' && now.status === 'delivered') delivered.set(now._id, now.sender._id);
        }
      }
      const inOrder = [...new Set(event.data.messageIds)].flatMap((id) => {
        const senderId = delivered.get(id);
        return senderId === undefined ? [] : [{ messageId: id, senderId }];
      });
      if (inOrder.length > 0) effect = { kind: 'messages-delivered', conversationId, messages: inOrder };
      break;
    }
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      break;
    default:
      unhandled(event);
  }

  const after = evolveConversation(before, event, conversationContext);
  const version = after?.viewPosition ?? null;
  const inboxContext: InboxContext = { ...context, conversationId, conversation: before, version, message, newlyRead, ...(hadRead ? { hadRead } : {}) };
  for (const userId of readersOf(event, before, after)) applyToInbox(documents.inboxes, userId, event, inboxContext, changed.inboxes);
  for (const userId of contactsChangedBy(event, before)) {
    applyToContacts(documents.contacts, userId, contactDeltas(event, { ...context, userId, conversation: before }), context, changed.contacts);
  }
  if (after !== null && after !== before) {
    documents.conversations.put(after);
    changed.conversations.push(conversationId);
    if (event.type === 'GroupPhotoUpdated') {
      effect = { kind: 'group-photo-updated', conversationId, groupImage: event.data.groupImage, updatedBy: event.data.updatedBy };
    }
    if (event.type === 'GroupPhotoRemoved') effect = { kind: 'group-photo-removed', conversationId, removedBy: event.data.removedBy };
  }
  return { documents: changed, effect };
}

/** The messages an event names that the read model holds, in the event's conversation. */
function knownMessages(event: DomainEvent, conversationId: string, documents: ReadModelDocuments): Map<string, KnownMessage> {
  const known = new Map<string, KnownMessage>();
  for (const messageId of messageIdsOf(event)) {
    const doc = documents.messages.get(messageId);
    if (doc && doc.conversationId === conversationId) known.set(messageId, { seq: doc.seq, senderId: doc.senderId });
  }
  return known;
}

/** Whose inboxes an event reaches: everyone with an entry for the conversation, and who joins it. */
function readersOf(event: DomainEvent, conversation: ConversationDoc | null, after: ConversationDoc | null): string[] {
  switch (event.type) {
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
      return conversation === null ? [...new Set(event.data.participantIds)] : [];
    case 'ParticipantsAdded':
      return conversation === null ? [] : [...new Set([...conversation.readerIds, ...joinersOf(conversation, event.data.userIds)])];
    case 'ParticipantRemoved':
    case 'MessageSent':
    case 'MessageDeleted':
    case 'MessagesRead':
      return conversation?.readerIds ?? [];
    case 'MessageDelivered':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      // Only the version of what the conversation shows can change: reached when it did.
      return conversation !== null && after !== null && after.viewPosition !== conversation.viewPosition ? conversation.readerIds : [];
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      return [];
  }
}

interface PageChange {
  readonly before: TimelinePageDoc | null;
  readonly after: TimelinePageDoc;
}

/** Evolves a conversation's timeline pages for one event, each page once. */
class PageEvolution {
  constructor(
    private readonly timeline: DocumentMap<TimelinePageDoc>,
    private readonly changed: string[],
    private readonly conversationId: string,
    private readonly context: ProjectionContext,
  ) {}

  /** The page before and after, when the event changed it. */
  evolve(page: number, event: DomainEvent, extra: { sent?: MessageSentContext; seqs?: readonly number[] } = {}): PageChange | undefined {
    const id = timelinePageId(this.conversationId, page);
    const before = this.timeline.get(id);
    const context = { ...this.context, conversationId: this.conversationId, page, ...extra };
    const after = evolveIn(this.timeline, id, this.changed, this.context, (doc) => evolveTimelinePage(doc, event, context));
    return after ? { before, after } : undefined;
  }
}

/** Seqs grouped by the timeline page they are on. */
function byPage(seqs: readonly number[]): Map<number, number[]> {
  const pages = new Map<number, number[]>();
  for (const seq of seqs) {
    const page = timelinePageOf(seq);
    const onPage = pages.get(page);
    if (onPage) onPage.push(seq);
    else pages.set(page, [seq]);
  }
  return pages;
}

function messageChanged(change: PageChange, seq: number): boolean {
  const after = messageOnPage(change.after, seq);
  return after !== null && after !== messageOnPage(change.before, seq);
}

// ---------------------------------------------------------------- what a batch needs loaded

/** Ids of the documents a batch reads or changes, per read model. */
export type DocumentKeys = { readonly [K in ReadModelKey]: Set<string> };

export function noKeys(): DocumentKeys {
  return Object.fromEntries(readModelKeys.map((model) => [model, new Set<string>()])) as unknown as DocumentKeys;
}

/** What the events name themselves: users, conversations, and the documents of the messages they name. */
export function namedKeys(events: readonly ProjectedEvent[]): DocumentKeys {
  const keys = noKeys();
  for (const { event } of events) {
    for (const userId of userIdsOf(event)) keys.users.add(userId);
    const conversationId = conversationIdOf(event);
    if (conversationId !== undefined) keys.conversations.add(conversationId);
    for (const messageId of messageIdsOf(event)) keys.messages.add(messageId);
    if (event.type === 'MessageSent') keys.users.add(event.data.senderId);
  }
  return keys;
}

/**
 * The rest, once the named documents are loaded: the timeline pages the batch's messages sit
 * on (new messages' places come from their conversation's count), every inbox of every reader
 * of a conversation the batch touches, and the contacts its membership changes reach. Follows
 * the batch's own membership changes and new messages as it goes.
 */
export function dependentKeys(events: readonly ProjectedEvent[], documents: ReadModelDocuments): DocumentKeys {
  const keys = noKeys();
  const conversations = new Map<string, { count: number; readers: Set<string>; members: Set<string> }>();
  const stateOf = (conversationId: string) => {
    let state = conversations.get(conversationId);
    if (!state) {
      const stored = documents.conversations.get(conversationId);
      state = {
        count: stored?.messageCount ?? 0,
        readers: new Set(stored?.readerIds ?? []),
        members: new Set(stored?.participantIds ?? []),
      };
      conversations.set(conversationId, state);
    }
    return state;
  };
  const sentHere = new Map<string, { seq: number; replies: number[] }>();
  const seqOf = (messageId: string, conversationId: string): number | undefined => {
    const here = sentHere.get(messageId);
    if (here) return here.seq;
    const doc = documents.messages.get(messageId);
    return doc?.conversationId === conversationId ? doc.seq : undefined;
  };
  const addPage = (conversationId: string, seq: number | undefined): void => {
    if (seq !== undefined) keys.timeline.add(timelinePageId(conversationId, timelinePageOf(seq)));
  };

  for (const { event } of events) {
    const conversationId = conversationIdOf(event);
    if (conversationId === undefined) continue;
    const state = stateOf(conversationId);
    switch (event.type) {
      case 'DirectConversationCreated':
      case 'GroupConversationCreated':
        for (const userId of event.data.participantIds) {
          state.readers.add(userId);
          state.members.add(userId);
          keys.contacts.add(userId);
        }
        break;
      case 'ParticipantsAdded':
        for (const userId of [...state.members, ...event.data.userIds]) keys.contacts.add(userId);
        for (const userId of event.data.userIds) {
          state.readers.add(userId);
          state.members.add(userId);
        }
        break;
      case 'ParticipantRemoved':
        for (const userId of state.members) keys.contacts.add(userId);
        state.members.delete(event.data.userId);
        break;
      case 'MessageSent': {
        state.count += 1;
        const { messageId, replyTo } = event.data;
        sentHere.set(messageId, { seq: state.count, replies: [] });
        addPage(conversationId, state.count);
        if (replyTo !== null) {
          addPage(conversationId, seqOf(replyTo, conversationId));
          sentHere.get(replyTo)?.replies.push(state.count);
        }
        break;
      }
      case 'MessageDeleted': {
        const { messageId } = event.data;
        // Whether each reader had read it decides their unread count.
        for (const userId of state.readers) keys.reads.add(readStateId(userId, conversationId));
        addPage(conversationId, seqOf(messageId, conversationId));
        const replies = [...(documents.messages.get(messageId)?.replies ?? []), ...(sentHere.get(messageId)?.replies ?? [])];
        for (const seq of replies) addPage(conversationId, seq);
        break;
      }
      case 'MessagesRead':
        keys.reads.add(readStateId(event.data.readerId, conversationId));
        for (const messageId of event.data.messageIds) addPage(conversationId, seqOf(messageId, conversationId));
        break;
      case 'MessageDelivered':
        for (const messageId of event.data.messageIds) addPage(conversationId, seqOf(messageId, conversationId));
        break;
      case 'GroupPhotoUpdated':
      case 'GroupPhotoRemoved':
      case 'UserRegistered':
      case 'UserBlocked':
      case 'UserUnblocked':
        break;
      default:
        unhandled(event);
    }
  }
  // Readers only ever join, so a conversation's readers at the end of the batch are everyone
  // whose inbox any of its events reaches.
  for (const { readers } of conversations.values()) for (const userId of readers) keys.inboxes.add(userId);
  return keys;
}
