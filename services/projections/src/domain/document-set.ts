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

/**
 * The documents of one read model that a batch works on, in memory: loaded from storage
 * (or known to be absent), changed by the projections, then written back as a whole.
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
    for (const entry of this.entries.values()) {
      if (!entry.dirty || !entry.doc) continue;
      entry.stored = entry.doc.position;
      entry.dirty = false;
    }
  }

  /** Forgets clean documents `drop` selects (replay keeps its memory bounded with this). */
  evict(drop: (doc: D | null, id: string) => boolean): number {
    let evicted = 0;
    for (const [id, entry] of this.entries) {
      if (entry.dirty || !drop(entry.doc, id)) continue;
      this.entries.delete(id);
      evicted += 1;
    }
    return evicted;
  }

  *documents(): Generator<D> {
    for (const entry of this.entries.values()) if (entry.doc) yield entry.doc;
  }
}

/**
 * Every read model's documents for a batch, plus an index of replies by the message they
 * quote (MessageDeleted blanks those quotes). The index keeps ids only and outlives eviction,
 * so a replay knows which replies to load back.
 */
export class ReadModelDocuments {
  readonly users = new DocumentMap<UserDoc>();
  readonly conversations = new DocumentMap<ConversationDoc>();
  readonly unreadCounts = new DocumentMap<UnreadCountDoc>();
  readonly messages: DocumentMap<MessageDoc>;
  private readonly replies = new Map<string, Set<string>>();

  /** `onMessage` sees every message document loaded or changed (a rebuild tracks recency with it). */
  constructor(onMessage: (doc: MessageDoc) => void = () => undefined) {
    this.messages = new DocumentMap<MessageDoc>((doc) => {
      this.indexReply(doc);
      onMessage(doc);
    });
  }

  repliesTo(messageId: string): readonly string[] {
    const replies = this.replies.get(messageId);
    return replies ? [...replies] : [];
  }

  /** The documents of one read model changed since they were loaded or last stored. */
  changedOf(model: 'users' | 'conversations' | 'messages' | 'unreadCounts'): ChangedDocument<StoredDocument>[] {
    switch (model) {
      case 'users':
        return this.users.changed();
      case 'conversations':
        return this.conversations.changed();
      case 'messages':
        return this.messages.changed();
      case 'unreadCounts':
        return this.unreadCounts.changed();
    }
  }

  markStored(): void {
    this.users.markStored();
    this.conversations.markStored();
    this.unreadCounts.markStored();
    this.messages.markStored();
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
