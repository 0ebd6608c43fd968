import {
  type ConversationView,
  MESSAGES_PAGE_DEFAULT,
  MESSAGES_PAGE_MAX,
  type MessagesPageView,
  type MessageView,
  toObjectId,
  type UserView,
} from '@chat/contracts';
import type { GlobalPosition } from '@chat/runtime';
import type { Collection, Db } from 'mongodb';
import type { ReadModelDocTypes } from '../domain/document-set';
import { undeliveredFromOthers } from '../domain/conversations.projection';
import { memberEntries } from '../domain/inboxes.projection';
import { type ConversationDoc, type MessageState, TIMELINE_PAGE_SIZE, timelinePageId, timelinePageOf } from '../domain/read-model-documents';
import { conversationView, messageView, userView } from '../domain/read-model-views';
import { seqsOf } from '../domain/seq-ranges';
import { messageOnPage, timelinePagesBetween } from '../domain/timeline.projection';
import { activeReadModels } from './active-read-models';
import { CheckpointStore } from './checkpoint-store';
import { LruMap } from './lru-map';
import { decodeDocument, findDocuments, type StoredRecord } from './read-model-codec';
import { checkpointNameOf, type ReadModelCollections } from './read-model-collections';
import type { ReadModelName } from './read-model-storage';

/**
 * What the gateway and presence read (REST, socket checks, presence's audiences and pending
 * deliveries), shaped as contracts' views. Every read is one or two rounds of lookups by
 * `_id` (single, or `$in` for many: FerretDB answers both from its `_id` index, with our
 * patch), so its cost does not grow with the store; docs/architecture.md has the table.
 * Ids that are not ObjectIds are answered as unknown, never as errors (API contract, "Identity").
 *
 * Three things are remembered between reads, all exactly: registered users' names and images,
 * and where each message served is (its conversation and number), which never change; and
 * conversation documents, each used as the answer only while the reader's inbox says no newer
 * version exists (its entries carry the conversation's position), so a list of 200
 * conversations reads one document when nothing changed. History pages use the remembered
 * conversation and places only to know which pages to read beside it (messagesPageFor).
 */

export type ConversationLookup =
  | { readonly status: 'not_found' }
  | { readonly status: 'not_participant' }
  | { readonly status: 'ok'; readonly conversation: ConversationView };

export type MessagesPageLookup =
  | { readonly status: 'not_found' }
  | { readonly status: 'not_participant' }
  | { readonly status: 'ok'; readonly page: MessagesPageView };

export interface MessagesPageOptions {
  /** The page ends just before this message; absent: at the newest. */
  readonly before?: string;
  /** At most MESSAGES_PAGE_MAX; default (also for anything below 1) MESSAGES_PAGE_DEFAULT. */
  readonly limit?: number;
}

export interface UndeliveredMessages {
  readonly conversationId: string;
  readonly messageIds: string[];
}

export interface ReadModelQueriesOptions {
  /** Collection-name prefix. Default ''. */
  readonly prefix?: string;
  /** Always read this set instead of the active one (tests, a rebuild's own checks). */
  readonly collections?: ReadModelCollections;
  /**
   * How long the active set is taken as known before it is looked up again. A rebuild's
   * switch reaches readers within this time; it drops the old set only after a longer delay.
   */
  readonly activeSetCacheMs?: number;
  /** Conversation documents remembered (0: none). Default 20,000. */
  readonly conversationCacheSize?: number;
  /** Registered users' views remembered. Default 100,000. */
  readonly userCacheSize?: number;
  /** Messages' places (conversation, seq) remembered. Default 100,000. */
  readonly messagePlaceCacheSize?: number;
}

/** The queries, on whichever set of read models is active. */
export class ReadModelQueries {
  private active: { collections: ReadModelCollections; until: number } | undefined;
  private readonly cacheMs: number;
  private readonly conversationCache: LruMap<string, ConversationDoc>;
  private readonly userCache: LruMap<string, UserView>;
  /** Where messages are, as served in pages: the `before` of the next page back is one of them. */
  private readonly messagePlaces: LruMap<string, MessagePlace>;

  constructor(
    private readonly db: Db,
    private readonly options: ReadModelQueriesOptions = {},
  ) {
    this.cacheMs = options.activeSetCacheMs ?? 1_000;
    this.conversationCache = new LruMap(options.conversationCacheSize ?? 20_000);
    this.userCache = new LruMap(options.userCacheSize ?? 100_000);
    this.messagePlaces = new LruMap(options.messagePlaceCacheSize ?? 100_000);
  }

  async collections(): Promise<ReadModelCollections> {
    if (this.options.collections) return this.options.collections;
    const now = Date.now();
    if (!this.active || this.active.until <= now) {
      const collections = await activeReadModels(this.db, this.options.prefix ?? '');
      if (this.active && this.active.collections.suffix !== collections.suffix) {
        // Another set: what was remembered of the last one says nothing of this one.
        this.conversationCache.clear();
        this.userCache.clear();
        this.messagePlaces.clear();
      }
      this.active = { collections, until: now + this.cacheMs };
    }
    return this.active.collections;
  }

  /**
   * How far in the store the active read models are written (their worker's checkpoint):
   * every event at or before it shows in every read. Undefined before the first batch.
   */
  async position(): Promise<GlobalPosition | undefined> {
    const collections = await this.collections();
    return new CheckpointStore(this.db, collections.prefix).loadCheckpoint(checkpointNameOf(collections));
  }

  /** A registered user; null when unknown (a user seen only in a block is not registered yet). */
  async userById(userId: string): Promise<UserView | null> {
    const id = toObjectId(userId);
    if (id === undefined) return null;
    const doc = await this.one('users', id);
    return doc?.registered ? userView(doc) : null;
  }

  /** The registered users among `userIds`, in the order asked, each once, unknown ones left out. */
  async usersByIds(userIds: readonly string[]): Promise<UserView[]> {
    const ids = [...new Set(userIds.map(toObjectId).filter((id): id is string => id !== undefined))];
    const views = await this.userViews(ids);
    return ids.flatMap((id) => {
      const view = views.get(id);
      return view ? [view] : [];
    });
  }

  /** Ids the user blocked; empty for an unknown user. */
  async blocksOf(userId: string): Promise<string[]> {
    const id = toObjectId(userId);
    if (id === undefined) return [];
    return (await this.one('users', id))?.blocks ?? [];
  }

  /** Current members of a conversation, or null when there is no such conversation. */
  async participantsOf(conversationId: string): Promise<string[] | null> {
    const id = toObjectId(conversationId);
    if (id === undefined) return null;
    return (await this.conversation(id))?.participantIds ?? null;
  }

  /** A conversation as `userId` sees it, if they are a member (GET /api/conversations/:id: 404, 403, 200). */
  async conversationForUser(conversationId: string, userId: string): Promise<ConversationLookup> {
    const id = toObjectId(conversationId);
    if (id === undefined) return { status: 'not_found' };
    const user = toObjectId(userId);
    const [doc, inbox] = await Promise.all([this.conversation(id), user === undefined ? null : this.one('inboxes', user)]);
    if (!doc) return { status: 'not_found' };
    if (user === undefined || !doc.participantIds.includes(user)) return { status: 'not_participant' };
    const users = await this.userViews(doc.participantIds);
    return { status: 'ok', conversation: conversationView(doc, users, inbox?.conversations[id]?.unread ?? 0) };
  }

  /** Every conversation `userId` is a member of, most recent activity first. */
  async conversationsOfUser(userId: string): Promise<ConversationView[]> {
    const id = toObjectId(userId);
    if (id === undefined) return [];
    const entries = memberEntries(await this.one('inboxes', id));
    if (entries.length === 0) return [];
    const docs = new Map<string, ConversationDoc>();
    const stale: string[] = [];
    for (const [conversationId, entry] of entries) {
      const cached = this.conversationCache.get(conversationId);
      if (cached && cached.position >= entry.version) docs.set(conversationId, cached);
      else stale.push(conversationId);
    }
    for (const doc of (await this.many('conversations', stale)).values()) {
      this.conversationCache.set(doc._id, doc);
      docs.set(doc._id, doc);
    }
    const mine = [...docs.values()].filter((doc) => doc.participantIds.includes(id));
    mine.sort((a, b) => (a.lastActivityAt === b.lastActivityAt ? compare(b._id, a._id) : compare(b.lastActivityAt, a.lastActivityAt)));
    const users = await this.userViews(mine.flatMap((doc) => doc.participantIds));
    const unread = new Map(entries.map(([conversationId, entry]) => [conversationId, entry.unread]));
    return mine.map((doc) => conversationView(doc, users, unread.get(doc._id) ?? 0));
  }

  /**
   * A page of history for a member (GET /api/conversations/:id/messages: 404, 403, 200):
   * oldest to newest, ending just before `before` (or at the newest); `hasMore` says whether
   * older messages exist. A `before` that is no message of this conversation gives an empty
   * page: there is nothing before something that is not there.
   *
   * Usually one round of reads: the pages are read beside the conversation, found from what
   * was seen of it last (its length for the newest end; for `before`, the message's place,
   * remembered from a page served earlier, as a client pages back with the oldest message it
   * holds). The conversation then says which messages the page holds; any of them a page read
   * did not show (the guess was off, or the message was written between the two reads) are
   * read in a second round, which is also the only one when nothing was remembered.
   */
  async messagesPageFor(conversationId: string, userId: string, options: MessagesPageOptions = {}): Promise<MessagesPageLookup> {
    const id = toObjectId(conversationId);
    if (id === undefined) return { status: 'not_found' };
    const limit = pageLimit(options.limit);
    const beforeId = options.before === undefined ? undefined : (toObjectId(options.before) ?? null);
    const knownBefore = typeof beforeId === 'string' ? this.messagePlaces.get(beforeId) : undefined;
    let guessed: number[] = [];
    if (beforeId === undefined) {
      const seen = this.conversationCache.get(id);
      // One page more than it held: a conversation grown by up to a page since is still one round.
      if (seen) guessed = timelinePagesBetween(seen.messageCount - limit + 1, seen.messageCount + TIMELINE_PAGE_SIZE);
    } else if (knownBefore && knownBefore.conversationId === id) {
      guessed = timelinePagesBetween(knownBefore.seq - limit, knownBefore.seq - 1);
    }
    const [doc, before, pages] = await Promise.all([
      this.conversation(id),
      beforeId === undefined ? undefined : beforeId === null ? null : (knownBefore ?? this.placeOf(beforeId)),
      this.many('timeline', guessed.map((page) => timelinePageId(id, page))),
    ]);
    if (!doc) return { status: 'not_found' };
    if (!doc.participantIds.includes(toObjectId(userId) ?? '')) return { status: 'not_participant' };
    const range = pageRange(doc, limit, before);
    if (range === null) return { status: 'ok', page: { messages: [], hasMore: false } };
    const onPage = (seq: number): MessageState | null => messageOnPage(pages.get(timelinePageId(id, timelinePageOf(seq))) ?? null, seq);
    const unseen = new Set<string>();
    for (let seq = range.start; seq <= range.end; seq++) if (!onPage(seq)) unseen.add(timelinePageId(id, timelinePageOf(seq)));
    for (const [pageId, page] of await this.many('timeline', [...unseen])) pages.set(pageId, page);
    const messages: MessageView[] = [];
    for (let seq = range.start; seq <= range.end; seq++) {
      const message = onPage(seq);
      if (!message) continue;
      this.messagePlaces.set(message._id, { conversationId: id, seq });
      messages.push(messageView(message));
    }
    return { status: 'ok', page: { messages, hasMore: range.start > 1 } };
  }

  async messageById(messageId: string): Promise<MessageView | null> {
    const id = toObjectId(messageId);
    if (id === undefined) return null;
    const index = await this.one('messages', id);
    if (!index) return null;
    const page = await this.one('timeline', timelinePageId(index.conversationId, timelinePageOf(index.seq)));
    const state = messageOnPage(page, index.seq);
    return state ? messageView(state) : null;
  }

  /** Everyone who shares a conversation with `userId` (the audience of their presence), without them. */
  async contactsOf(userId: string): Promise<string[]> {
    const id = toObjectId(userId);
    if (id === undefined) return [];
    return Object.keys((await this.one('contacts', id))?.shared ?? {}).filter((contactId) => contactId !== id);
  }

  /**
   * Messages from others in `userId`'s conversations that have reached no recipient yet,
   * oldest first per conversation, at most `limit` in all: what becomes delivered when they connect.
   */
  async undeliveredFor(userId: string, limit = 1_000): Promise<UndeliveredMessages[]> {
    const id = toObjectId(userId);
    if (id === undefined) return [];
    const memberOf = memberEntries(await this.one('inboxes', id)).map(([conversationId]) => conversationId);
    // As stored now: what is undelivered is bookkeeping, which the remembered views do not follow.
    const conversations = [...(await this.many('conversations', memberOf)).values()].sort((a, b) => compare(a._id, b._id));
    const wanted: { conversationId: string; seq: number }[] = [];
    for (const conversation of conversations) {
      if (!conversation.participantIds.includes(id)) continue;
      for (const seq of seqsOf(undeliveredFromOthers(conversation, id), limit - wanted.length)) wanted.push({ conversationId: conversation._id, seq });
      if (wanted.length >= limit) break;
    }
    if (wanted.length === 0) return [];
    const pageIds = [...new Set(wanted.map(({ conversationId, seq }) => timelinePageId(conversationId, timelinePageOf(seq))))];
    const pages = await this.many('timeline', pageIds);
    const byConversation = new Map<string, string[]>();
    for (const { conversationId, seq } of wanted) {
      const message = messageOnPage(pages.get(timelinePageId(conversationId, timelinePageOf(seq))) ?? null, seq);
      // The page is written before its conversation: a page that says otherwise is the newer word.
      if (!message || message.delivered || message.deleted || message.sender._id === id) continue;
      const list = byConversation.get(conversationId) ?? [];
      list.push(message._id);
      byConversation.set(conversationId, list);
    }
    return [...byConversation].map(([conversationId, messageIds]) => ({ conversationId, messageIds }));
  }

  // ---------------------------------------------------------------- reading

  /** Where a message is (remembered: it never moves); null for no such message. */
  private async placeOf(messageId: string): Promise<MessagePlace | null> {
    const index = await this.one('messages', messageId);
    if (!index) return null;
    const place = { conversationId: index.conversationId, seq: index.seq };
    this.messagePlaces.set(messageId, place);
    return place;
  }

  /** A conversation document as stored now (and remembered for lists). */
  private async conversation(id: string): Promise<ConversationDoc | null> {
    const doc = await this.one('conversations', id);
    if (doc) this.conversationCache.set(id, doc);
    return doc;
  }

  /** The views of the given users that are registered (an unregistered one is shown with an empty name). */
  private async userViews(userIds: readonly string[]): Promise<Map<string, UserView>> {
    const views = new Map<string, UserView>();
    const missing: string[] = [];
    for (const id of new Set(userIds)) {
      const cached = this.userCache.get(id);
      if (cached) views.set(id, cached);
      else missing.push(id);
    }
    for (const doc of (await this.many('users', missing)).values()) {
      if (!doc.registered) continue;
      const view = userView(doc);
      // Names and images never change once registered: remembered for good.
      this.userCache.set(doc._id, view);
      views.set(doc._id, view);
    }
    return views;
  }

  private async records(model: ReadModelName): Promise<Collection<StoredRecord>> {
    return this.db.collection<StoredRecord>((await this.collections())[model]);
  }

  private async one<K extends ReadModelName>(model: K, id: string): Promise<ReadModelDocTypes[K] | null> {
    const record = await (await this.records(model)).findOne({ _id: id });
    return record ? decodeDocument<ReadModelDocTypes[K]>(record) : null;
  }

  private async many<K extends ReadModelName>(model: K, ids: readonly string[]): Promise<Map<string, ReadModelDocTypes[K]>> {
    if (ids.length === 0) return new Map();
    const found = await findDocuments<ReadModelDocTypes[K]>(await this.records(model), ids);
    return new Map(found.map((doc) => [doc._id, doc]));
  }
}

interface MessagePlace {
  readonly conversationId: string;
  readonly seq: number;
}

function pageLimit(requested: number | undefined): number {
  const limit = Math.trunc(requested ?? MESSAGES_PAGE_DEFAULT);
  return limit >= 1 ? Math.min(limit, MESSAGES_PAGE_MAX) : MESSAGES_PAGE_DEFAULT;
}

/** The seqs a page holds: the `limit` before `before` (or the newest), null when there are none. */
function pageRange(doc: ConversationDoc, limit: number, before: MessagePlace | null | undefined): { start: number; end: number } | null {
  let end = doc.messageCount;
  if (before !== undefined) {
    if (before === null || before.conversationId !== doc._id) return null;
    end = before.seq - 1;
  }
  const start = Math.max(1, end - limit + 1);
  return end < start ? null : { start, end };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
