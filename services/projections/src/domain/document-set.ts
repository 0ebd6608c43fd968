import type { ConversationDoc, MessageDoc, UnreadCountDoc, UserDoc } from './read-model-documents';

export interface StoredDocument {
  readonly _id: string;
  readonly position: string;
}

interface Entry<D> {
  doc: D | null;
  /** The position of the version storage holds, or null when storage holds none. */
  stored: string | null;
  dirty: boolean;
}

/** A document that changed since it was loaded, with what storage held then (null: nothing). */
export interface ChangedDocument<D> {
  readonly doc: D;
  readonly stored: string | null;
}

/** What selects documents to write: the document, and the position of what storage holds (null: nothing). */
export type DocumentSelector<D> = (doc: D, stored: string | null) => boolean;

/**
 * The documents of one read model that a batch works on, in memory: loaded from storage
 * (or known to be absent), changed by the projections, then written back.
 */
export class DocumentMap<D extends StoredDocument> {
  private readonly entries = new Map<string, Entry<D>>();

  constructor(private readonly onDocument: (doc: D) => void = () => undefined) {}

  get size(): number {
    return this.entries.size;
  }

  /** Records what storage holds for `id`; a document already here (newer, from this run) wins. */
  loaded(id: string, doc: D | null): void {
    if (this.entries.has(id)) return;
    this.entries.set(id, { doc, stored: doc?.position ?? null, dirty: false });
    if (doc) this.onDocument(doc);
  }

  isLoaded(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): D | null {
    return this.entries.get(id)?.doc ?? null;
  }

  put(doc: D): void {
    const entry = this.entries.get(doc._id);
    if (entry) {
      entry.doc = doc;
      entry.dirty = true;
    } else {
      this.entries.set(doc._id, { doc, stored: null, dirty: true });
    }
    this.onDocument(doc);
  }

  changed(): ChangedDocument<D>[] {
    const changed: ChangedDocument<D>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.dirty && entry.doc) changed.push({ doc: entry.doc, stored: entry.stored });
    }
    return changed;
  }

  /** After a write-back: storage now holds every document as it is here. */
  markStored(): void {
    this.take(() => true);
  }

  /**
   * The changed documents `select` picks, which from now on count as stored (the caller
   * writes them). Lets a rebuild write documents as they become final instead of all at the end.
   */
  take(select: DocumentSelector<D>): ChangedDocument<D>[] {
    const taken: ChangedDocument<D>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.dirty && entry.doc && select(entry.doc, entry.stored)) taken.push(this.taken(entry, entry.doc));
    }
    return taken;
  }

  /** Like `take`, for the given ids only. */
  takeIds(ids: Iterable<string>): ChangedDocument<D>[] {
    const taken: ChangedDocument<D>[] = [];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry?.dirty && entry.doc) taken.push(this.taken(entry, entry.doc));
    }
    return taken;
  }

  /**
   * Forgets the given documents unless they changed since they were stored; answers the ids
   * of those it forgot that storage holds (the rest were known absent).
   */
  evictIds(ids: Iterable<string>): string[] {
    const stored: string[] = [];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry || entry.dirty) continue;
      this.entries.delete(id);
      if (entry.doc) stored.push(id);
    }
    return stored;
  }

  private taken(entry: Entry<D>, doc: D): ChangedDocument<D> {
    const change = { doc, stored: entry.stored };
    entry.stored = doc.position;
    entry.dirty = false;
    return change;
  }

  *documents(): Generator<D> {
    for (const entry of this.entries.values()) if (entry.doc) yield entry.doc;
  }
}

export type ReadModelKey = 'users' | 'conversations' | 'messages' | 'unreadCounts';

/**
 * Every read model's documents for a batch, plus an index of replies by the message they
 * quote (MessageDeleted blanks those quotes). The index keeps ids only and outlives eviction,
 * so a rebuild knows which replies to load back.
 */
export class ReadModelDocuments {
  readonly users: DocumentMap<UserDoc>;
  readonly conversations: DocumentMap<ConversationDoc>;
  readonly unreadCounts: DocumentMap<UnreadCountDoc>;
  readonly messages: DocumentMap<MessageDoc>;
  private readonly replies = new Map<string, Set<string>>();

  constructor() {
    this.users = new DocumentMap<UserDoc>();
    this.conversations = new DocumentMap<ConversationDoc>();
    this.unreadCounts = new DocumentMap<UnreadCountDoc>();
    this.messages = new DocumentMap<MessageDoc>((doc) => this.indexReply(doc));
  }

  repliesTo(messageId: string): readonly string[] {
    const replies = this.replies.get(messageId);
    return replies ? [...replies] : [];
  }

  /** The documents of one read model changed since they were loaded or last stored. */
  changedOf(model: ReadModelKey): ChangedDocument<StoredDocument>[] {
    return this.map(model).changed();
  }

  /** See DocumentMap.take. */
  take(model: ReadModelKey, select: DocumentSelector<StoredDocument>): ChangedDocument<StoredDocument>[] {
    return this.map(model).take(select);
  }

  get size(): number {
    return this.users.size + this.conversations.size + this.unreadCounts.size + this.messages.size;
  }

  markStored(): void {
    this.users.markStored();
    this.conversations.markStored();
    this.unreadCounts.markStored();
    this.messages.markStored();
  }

  private map(model: ReadModelKey): Pick<DocumentMap<StoredDocument>, 'changed' | 'take'> {
    switch (model) {
      case 'users':
        return this.users;
      case 'conversations':
        return this.conversations;
      case 'messages':
        return this.messages;
      case 'unreadCounts':
        return this.unreadCounts;
    }
  }

  private indexReply(doc: MessageDoc): void {
    if (!doc.replyTo) return;
    let replies = this.replies.get(doc.replyTo._id);
    if (!replies) {
      replies = new Set();
      this.replies.set(doc.replyTo._id, replies);
    }
    replies.add(doc._id);
  }
}
