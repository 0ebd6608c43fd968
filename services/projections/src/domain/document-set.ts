import type { ContactsDoc, ConversationDoc, InboxDoc, MessageIndexDoc, ReadStateDoc, TimelinePageDoc, UserDoc } from './read-model-documents';

export interface StoredDocument {
  readonly _id: string;
  readonly position: string;
}

interface Entry<D> {
  doc: D | null;
  /** The position of the version storage holds, or null when storage holds none. */
  stored: string | null;
  dirty: boolean;
  /** `doc` is this map's own copy, which `own` hands out to change in place (nothing else holds it). */
  own: boolean;
}

/** A document that changed since it was loaded, with what storage held then (null: nothing). */
export interface ChangedDocument<D> {
  readonly doc: D;
  readonly stored: string | null;
  /**
   * A write of it failed part-way since it was loaded: storage may hold it, an older version
   * or nothing, whatever `stored` says. Written as an upsert, guarded like a replace.
   */
  readonly unsure?: true;
}

/** What selects documents to write: the document, and the position of what storage holds (null: nothing). */
export type DocumentSelector<D> = (doc: D, stored: string | null) => boolean;

/**
 * The documents of one read model that a batch works on, in memory: loaded from storage
 * (or known to be absent), changed by the projections, then written back.
 */
export class DocumentMap<D extends StoredDocument> {
  private readonly entries = new Map<string, Entry<D>>();

  /** `missing` hears of every id asked for that the map knows nothing of (a rebuild's check that none was forgotten too early). */
  constructor(private readonly missing?: (id: string) => void) {}

  get size(): number {
    return this.entries.size;
  }

  /** Records what storage holds for `id`; a document already here (newer, from this run) wins. */
  loaded(id: string, doc: D | null): void {
    if (this.entries.has(id)) return;
    this.entries.set(id, { doc, stored: doc?.position ?? null, dirty: false, own: false });
  }

  isLoaded(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): D | null {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      this.missing?.(id);
      return null;
    }
    return entry.doc;
  }

  put(doc: D): void {
    const entry = this.entries.get(doc._id);
    if (entry) {
      entry.doc = doc;
      entry.dirty = true;
      entry.own = false;
    } else {
      this.entries.set(doc._id, { doc, stored: null, dirty: true, own: false });
    }
  }

  /**
   * The document to change in place, marked changed: this map's own copy of it, made with
   * `copy` the first time (a loaded document, or one handed out for writing, is never changed
   * in place), or `create()` when there is none. Ask for it only to change it.
   *
   * For documents holding a large map that many events of a batch change one entry of (a
   * user's inbox, their contacts): copied once per batch rather than once per event, which is
   * what a pure `(doc, event) => doc` costs (a user's inbox of 500 conversations, copied for
   * each of thousands of events, made a rebuild five times slower).
   */
  own(id: string, create: () => D, copy: (doc: D) => D): D {
    const entry = this.entries.get(id);
    if (entry?.doc && entry.own) {
      entry.dirty = true;
      return entry.doc;
    }
    const draft = entry?.doc ? copy(entry.doc) : create();
    if (entry) {
      entry.doc = draft;
      entry.dirty = true;
      entry.own = true;
    } else {
      this.entries.set(id, { doc: draft, stored: null, dirty: true, own: true });
    }
    return draft;
  }

  changed(): ChangedDocument<D>[] {
    const changed: ChangedDocument<D>[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.dirty || !entry.doc) continue;
      changed.push({ doc: entry.doc, stored: entry.stored });
      entry.own = false;
    }
    return changed;
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
    // Handed out to be written: a later change works on a copy.
    entry.own = false;
    return change;
  }

  *documents(): Generator<D> {
    for (const entry of this.entries.values()) if (entry.doc) yield entry.doc;
  }
}

export type ReadModelKey = 'users' | 'conversations' | 'messages' | 'timeline' | 'inboxes' | 'reads' | 'contacts';

/** The document type of each read model. */
export interface ReadModelDocTypes {
  users: UserDoc;
  conversations: ConversationDoc;
  messages: MessageIndexDoc;
  timeline: TimelinePageDoc;
  inboxes: InboxDoc;
  reads: ReadStateDoc;
  contacts: ContactsDoc;
}

export const readModelKeys: readonly ReadModelKey[] = ['users', 'conversations', 'messages', 'timeline', 'inboxes', 'reads', 'contacts'];

/** Every read model's documents for a batch. */
export class ReadModelDocuments {
  readonly users: DocumentMap<UserDoc>;
  readonly conversations: DocumentMap<ConversationDoc>;
  readonly messages: DocumentMap<MessageIndexDoc>;
  readonly timeline: DocumentMap<TimelinePageDoc>;
  readonly inboxes: DocumentMap<InboxDoc>;
  readonly reads: DocumentMap<ReadStateDoc>;
  readonly contacts: DocumentMap<ContactsDoc>;

  /** `missing`: see DocumentMap. */
  constructor(missing?: (model: ReadModelKey, id: string) => void) {
    const of = (model: ReadModelKey) => (missing ? (id: string) => missing(model, id) : undefined);
    this.users = new DocumentMap(of('users'));
    this.conversations = new DocumentMap(of('conversations'));
    this.messages = new DocumentMap(of('messages'));
    this.timeline = new DocumentMap(of('timeline'));
    this.inboxes = new DocumentMap(of('inboxes'));
    this.reads = new DocumentMap(of('reads'));
    this.contacts = new DocumentMap(of('contacts'));
  }

  map<K extends ReadModelKey>(model: K): DocumentMap<ReadModelDocTypes[K]> {
    return this[model] as DocumentMap<ReadModelDocTypes[K]>;
  }

  /** See DocumentMap.take. */
  take(model: ReadModelKey, select: DocumentSelector<StoredDocument>): ChangedDocument<StoredDocument>[] {
    return (this.map(model) as DocumentMap<StoredDocument>).take(select);
  }
}
