import {
  type ConversationView,
  MESSAGES_PAGE_DEFAULT,
  MESSAGES_PAGE_MAX,
  type MessagesPageView,
  type MessageView,
  toObjectId,
  type UserView,
} from '@chat/contracts';
import type { Db } from 'mongodb';
import type { ConversationDoc, MessageDoc, UnreadCountDoc, UserDoc } from '../domain/read-model-documents';
import { unreadCountId } from '../domain/read-model-documents';
import { conversationView, messageView, userView } from '../domain/read-model-views';
import { activeReadModels } from './active-read-models';
import type { ReadModelCollections } from './read-model-collections';

/**
 * What the gateway reads (REST and socket checks): plain queries on the read models, shaped
 * as contracts' views. Ids that are not ObjectIds are answered as unknown, never as errors
 * (API contract, "Identity").
 */

export type ConversationLookup =
  | { readonly status: 'not_found' }
  | { readonly status: 'not_participant' }
  | { readonly status: 'ok'; readonly conversation: ConversationView };

export interface MessagesPageOptions {
  /** The page ends just before this message; absent: at the newest. */
  readonly before?: string;
  /** At most MESSAGES_PAGE_MAX; default (also for anything below 1) MESSAGES_PAGE_DEFAULT. */
  readonly limit?: number;
}

const withoutPosition = { projection: { position: 0 } } as const;

function users(db: Db, collections: ReadModelCollections) {
  return db.collection<UserDoc>(collections.users);
}
function conversations(db: Db, collections: ReadModelCollections) {
  return db.collection<ConversationDoc>(collections.conversations);
}
function messages(db: Db, collections: ReadModelCollections) {
  return db.collection<MessageDoc>(collections.messages);
}
function unreadCounts(db: Db, collections: ReadModelCollections) {
  return db.collection<UnreadCountDoc>(collections.unreadCounts);
}

/** A registered user; null when unknown (a user seen only in a block is not registered yet). */
export async function findUser(db: Db, collections: ReadModelCollections, userId: string): Promise<UserView | null> {
  const id = toObjectId(userId);
  if (id === undefined) return null;
  const doc = await users(db, collections).findOne({ _id: id });
  return doc?.registered ? userView(doc) : null;
}

/** The registered users among `userIds`, in the order asked, unknown ones left out. */
export async function findUsers(db: Db, collections: ReadModelCollections, userIds: readonly string[]): Promise<UserView[]> {
  const ids = [...new Set(userIds.map(toObjectId).filter((id): id is string => id !== undefined))];
  if (ids.length === 0) return [];
  const found = new Map((await users(db, collections).find({ _id: { $in: ids } }).toArray()).map((doc) => [doc._id, doc]));
  return ids.flatMap((id) => {
    const doc = found.get(id);
    return doc?.registered ? [userView(doc)] : [];
  });
}

/** Ids the user blocked; empty for an unknown user. */
export async function findBlocks(db: Db, collections: ReadModelCollections, userId: string): Promise<string[]> {
  const id = toObjectId(userId);
  if (id === undefined) return [];
  return (await users(db, collections).findOne({ _id: id }))?.blocks ?? [];
}

/** Current members of a conversation, or null when there is no such conversation. */
export async function findParticipants(db: Db, collections: ReadModelCollections, conversationId: string): Promise<string[] | null> {
  const id = toObjectId(conversationId);
  if (id === undefined) return null;
  const doc = await conversations(db, collections).findOne({ _id: id }, { projection: { participantIds: 1 } });
  return doc ? doc.participantIds : null;
}

async function viewsFor(db: Db, collections: ReadModelCollections, docs: readonly ConversationDoc[], userId: string): Promise<ConversationView[]> {
  if (docs.length === 0) return [];
  const participantIds = [...new Set(docs.flatMap((doc) => doc.participantIds))];
  const [people, counts] = await Promise.all([
    users(db, collections).find({ _id: { $in: participantIds } }).toArray(),
    unreadCounts(db, collections)
      .find({ _id: { $in: docs.map((doc) => unreadCountId(userId, doc._id)) } })
      .toArray(),
  ]);
  const byId = new Map(people.map((doc) => [doc._id, doc]));
  const unread = new Map(counts.map((doc) => [doc.conversationId, doc.count]));
  return docs.map((doc) => conversationView(doc, byId, unread.get(doc._id) ?? 0));
}

/** A conversation as `userId` sees it, if they are a member (GET /api/conversations/:id: 404, 403, 200). */
export async function findConversationForUser(
  db: Db,
  collections: ReadModelCollections,
  conversationId: string,
  userId: string,
): Promise<ConversationLookup> {
  const id = toObjectId(conversationId);
  if (id === undefined) return { status: 'not_found' };
  const doc = await conversations(db, collections).findOne({ _id: id });
  if (!doc) return { status: 'not_found' };
  const user = toObjectId(userId);
  if (user === undefined || !doc.participantIds.includes(user)) return { status: 'not_participant' };
  const [conversation] = await viewsFor(db, collections, [doc], user);
  return conversation ? { status: 'ok', conversation } : { status: 'not_found' };
}

/** Every conversation `userId` is a member of, most recent activity first. */
export async function findConversationsOfUser(db: Db, collections: ReadModelCollections, userId: string): Promise<ConversationView[]> {
  const id = toObjectId(userId);
  if (id === undefined) return [];
  const docs = await conversations(db, collections)
    .find({ participantIds: id })
    .sort({ lastActivityAt: -1, _id: -1 })
    .toArray();
  return viewsFor(db, collections, docs, id);
}

/**
 * A page of history, oldest to newest, ending just before `before` (or at the newest).
 * `hasMore` says whether older messages exist. A `before` that is no message of this
 * conversation gives an empty page: there is nothing before something that is not there.
 */
export async function findMessagesPage(
  db: Db,
  collections: ReadModelCollections,
  conversationId: string,
  options: MessagesPageOptions = {},
): Promise<MessagesPageView> {
  const id = toObjectId(conversationId);
  if (id === undefined) return { messages: [], hasMore: false };
  const requested = Math.trunc(options.limit ?? MESSAGES_PAGE_DEFAULT);
  const limit = requested >= 1 ? Math.min(requested, MESSAGES_PAGE_MAX) : MESSAGES_PAGE_DEFAULT;
  const collection = messages(db, collections);
  let filter: { conversationId: string; seq?: { $lt: number } } = { conversationId: id };
  if (options.before !== undefined) {
    const beforeId = toObjectId(options.before);
    const before = beforeId === undefined ? null : await collection.findOne({ _id: beforeId }, { projection: { conversationId: 1, seq: 1 } });
    if (!before || before.conversationId !== id) return { messages: [], hasMore: false };
    filter = { conversationId: id, seq: { $lt: before.seq } };
  }
  const newestFirst = await collection
    .find(filter, withoutPosition)
    .sort({ seq: -1 })
    .limit(limit + 1)
    .toArray();
  const page = newestFirst.slice(0, limit).reverse();
  return { messages: page.map(messageView), hasMore: newestFirst.length > limit };
}

export async function findMessage(db: Db, collections: ReadModelCollections, messageId: string): Promise<MessageView | null> {
  const id = toObjectId(messageId);
  if (id === undefined) return null;
  const doc = await messages(db, collections).findOne({ _id: id }, withoutPosition);
  return doc ? messageView(doc) : null;
}

/** Everyone who shares a conversation with `userId` (the audience of their presence), without them. */
export async function findContacts(db: Db, collections: ReadModelCollections, userId: string): Promise<string[]> {
  const id = toObjectId(userId);
  if (id === undefined) return [];
  const docs = await conversations(db, collections)
    .find({ participantIds: id }, { projection: { participantIds: 1 } })
    .toArray();
  const contacts = new Set(docs.flatMap((doc) => doc.participantIds));
  contacts.delete(id);
  return [...contacts];
}

export interface UndeliveredMessages {
  readonly conversationId: string;
  readonly messageIds: string[];
}

/**
 * Messages from others in `userId`'s conversations that have reached no recipient yet, oldest
 * first per conversation, at most `limit` in all: what becomes delivered when they connect.
 */
export async function findUndelivered(
  db: Db,
  collections: ReadModelCollections,
  userId: string,
  limit = 1_000,
): Promise<UndeliveredMessages[]> {
  const id = toObjectId(userId);
  if (id === undefined) return [];
  const memberOf = await conversations(db, collections)
    .find({ participantIds: id }, { projection: { _id: 1 } })
    .toArray();
  if (memberOf.length === 0) return [];
  const pending = await messages(db, collections)
    .find(
      { conversationId: { $in: memberOf.map((doc) => doc._id) }, deliveredAt: null, deleted: false, 'sender._id': { $ne: id } },
      { projection: { _id: 1, conversationId: 1, seq: 1 } },
    )
    .sort({ conversationId: 1, seq: 1 })
    .limit(limit)
    .toArray();
  const byConversation = new Map<string, string[]>();
  for (const doc of pending) {
    const list = byConversation.get(doc.conversationId) ?? [];
    list.push(doc._id);
    byConversation.set(doc.conversationId, list);
  }
  return [...byConversation].map(([conversationId, messageIds]) => ({ conversationId, messageIds }));
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
}

/** The queries above, on whichever set of read models is active. */
export class ReadModelQueries {
  private active: { collections: ReadModelCollections; until: number } | undefined;
  private readonly cacheMs: number;

  constructor(
    private readonly db: Db,
    private readonly options: ReadModelQueriesOptions = {},
  ) {
    this.cacheMs = options.activeSetCacheMs ?? 1_000;
  }

  async collections(): Promise<ReadModelCollections> {
    if (this.options.collections) return this.options.collections;
    const now = Date.now();
    if (!this.active || this.active.until <= now) {
      this.active = { collections: await activeReadModels(this.db, this.options.prefix ?? ''), until: now + this.cacheMs };
    }
    return this.active.collections;
  }

  async userById(userId: string): Promise<UserView | null> {
    return findUser(this.db, await this.collections(), userId);
  }

  async usersByIds(userIds: readonly string[]): Promise<UserView[]> {
    return findUsers(this.db, await this.collections(), userIds);
  }

  async blocksOf(userId: string): Promise<string[]> {
    return findBlocks(this.db, await this.collections(), userId);
  }

  async participantsOf(conversationId: string): Promise<string[] | null> {
    return findParticipants(this.db, await this.collections(), conversationId);
  }

  async conversationForUser(conversationId: string, userId: string): Promise<ConversationLookup> {
    return findConversationForUser(this.db, await this.collections(), conversationId, userId);
  }

  async conversationsOfUser(userId: string): Promise<ConversationView[]> {
    return findConversationsOfUser(this.db, await this.collections(), userId);
  }

  async messagesPage(conversationId: string, options: MessagesPageOptions = {}): Promise<MessagesPageView> {
    return findMessagesPage(this.db, await this.collections(), conversationId, options);
  }

  async messageById(messageId: string): Promise<MessageView | null> {
    return findMessage(this.db, await this.collections(), messageId);
  }

  async contactsOf(userId: string): Promise<string[]> {
    return findContacts(this.db, await this.collections(), userId);
  }

  async undeliveredFor(userId: string, limit?: number): Promise<UndeliveredMessages[]> {
    return findUndelivered(this.db, await this.collections(), userId, limit);
  }
}
