import type { Collection, Db } from 'mongodb';
import { documentKeys, unreadCountKeys } from '../domain/batch-projection';
import { type ChangedDocument, type DocumentMap, ReadModelDocuments, type StoredDocument } from '../domain/document-set';
import { type ProjectedEvent, unreadCountId } from '../domain/read-model-documents';
import type { ReadModelCollections } from '../read-models/read-model-collections';
import { type ReadModelDocTypes, type ReadModelName, writeOrder } from '../read-models/read-model-storage';
import type { FinalDocuments } from './document-lifetimes';

type Stored = { _id: string; position: string };
type Changes = readonly { readonly model: ReadModelName; readonly changed: ChangedDocument<Stored>[] }[];

const INSERT_CHUNK = 2_000;
const DELETE_CHUNK = 10_000;
/**
 * Writes of final documents in flight at once: while one waits on the store, the next is
 * already on its way, and applying goes on. They never share a document (a document is final
 * once), so their order does not matter.
 */
const WRITES_IN_FLIGHT = 2;

type IdsByModel = { readonly [K in ReadModelName]: readonly string[] };

/**
 * The documents of a rebuild, in memory across pages of events, written to the rebuild's own
 * collections in large unordered inserts that run while later events are applied.
 *
 * Nobody reads these collections until the switch and only the rebuild writes them, so a
 * document it never wrote is known absent without a query. Documents are inserted as soon
 * as they are final (see document-lifetimes.ts) and then dropped from memory; the rest at
 * the end. A document that changes after it was written (only possible for events the
 * first pass did not see)
 * is rewritten at the end by deleting and inserting it again, one `_id $in` delete per
 * collection: one command per collection rather than one per document (FerretDB v1 answers
 * `$in` with a scan, but a single one; before our patch of its `_id` expression, every
 * one-by-one replace was a scan too).
 */
export class ReplayCache {
  readonly documents = new ReadModelDocuments();
  /** Ids written and then dropped from memory, per read model: the only ones a query can find. */
  private readonly evicted: { [K in ReadModelName]: Set<string> } = {
    users: new Set(),
    conversations: new Set(),
    messages: new Set(),
    unreadCounts: new Set(),
  };
  /** Writes in progress, oldest first, each with the final documents it writes (dropped from memory once it completed). */
  private readonly inflight: { readonly done: Promise<void>; readonly ids: IdsByModel }[] = [];
  private written = 0;
  private rewritten = 0;

  constructor(
    private readonly db: Db,
    private readonly collections: ReadModelCollections,
  ) {}

  /** Documents written so far (completed writes). */
  get documentsWritten(): number {
    return this.written;
  }

  /** Documents written more than once (changed after they were written). */
  get documentsRewritten(): number {
    return this.rewritten;
  }

  /** Makes every document `events` read or change available in memory. */
  async prepare(events: readonly ProjectedEvent[]): Promise<void> {
    const keys = documentKeys(events);
    const messageIds = new Set(keys.messages);
    for (const messageId of keys.repliesOf) for (const reply of this.documents.repliesTo(messageId)) messageIds.add(reply);
    await Promise.all([
      this.ensure('users', this.documents.users, keys.users),
      this.ensure('conversations', this.documents.conversations, keys.conversations),
      this.ensure('messages', this.documents.messages, messageIds),
    ]);
    await this.ensure('unreadCounts', this.documents.unreadCounts, unreadCountKeys(events, this.documents.conversations));
  }

  /**
   * Starts inserting documents that are final (nothing after this changes or reads them),
   * with a conversation its unread counts, once fewer than WRITES_IN_FLIGHT writes are under
   * way. Does not wait for this one.
   */
  async writeFinal(final: FinalDocuments): Promise<void> {
    while (this.inflight.length >= WRITES_IN_FLIGHT) await this.settleOldest();
    const unreadCounts = final.conversations.flatMap((conversationId) =>
      (this.documents.conversations.get(conversationId)?.readerIds ?? []).map((userId) => unreadCountId(userId, conversationId)),
    );
    const ids: { readonly [K in ReadModelName]: readonly string[] } = { ...final, unreadCounts };
    const changes = writeOrder.map((model) => ({ model, changed: this.documents[model].takeIds(ids[model]) as ChangedDocument<Stored>[] }));
    this.start(changes, ids);
  }

  /** Writes everything still unwritten or changed since written, and waits for it. */
  async writeAll(): Promise<void> {
    await this.drain();
    this.start(writeOrder.map((model) => ({ model, changed: this.documents.take(model, () => true) })), noIds());
    await this.drain();
  }

  /** Waits for every write in progress (rethrowing a failure), and forgets the final documents they wrote. */
  async drain(): Promise<void> {
    while (this.inflight.length > 0) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.inflight[0];
    if (!oldest) return;
    try {
      await oldest.done;
    } finally {
      this.inflight.shift();
    }
    for (const model of writeOrder) {
      for (const id of this.documents[model].evictIds(oldest.ids[model])) this.evicted[model].add(id);
    }
  }

  private start(changes: Changes, ids: IdsByModel): void {
    const done = this.write(changes);
    // Awaited by a later write or drain; until then a failure must not surface as unhandled.
    done.catch(() => undefined);
    this.inflight.push({ done, ids });
  }

  private async ensure<K extends ReadModelName>(model: K, map: DocumentMap<ReadModelDocTypes[K] & StoredDocument>, ids: Iterable<string>): Promise<void> {
    const toLoad: string[] = [];
    for (const id of ids) {
      if (map.isLoaded(id)) continue;
      if (this.evicted[model].has(id)) toLoad.push(id);
      else map.loaded(id, null);
    }
    if (toLoad.length === 0) return;
    // Only events the first pass did not see get here: a written message is needed again.
    const found = await this.collection(model).find({ _id: { $in: toLoad } }).toArray();
    const byId = new Map(found.map((doc) => [doc._id, doc]));
    for (const id of toLoad) {
      const doc = byId.get(id);
      if (!doc) throw new Error(`rebuild: ${model} ${id} was written but is not in ${this.collections[model]}`);
      map.loaded(id, doc as StoredDocument as ReadModelDocTypes[K] & StoredDocument);
      this.evicted[model].delete(id);
    }
  }

  private collection(model: ReadModelName): Collection<Stored> {
    return this.db.collection<Stored>(this.collections[model]);
  }

  private async write(changes: Changes): Promise<void> {
    if (changes.every(({ changed }) => changed.length === 0)) return;
    for (const { model, changed } of changes) {
      const collection = this.collection(model);
      const again = changed.filter(({ stored }) => stored !== null).map(({ doc }) => doc._id);
      for (let i = 0; i < again.length; i += DELETE_CHUNK) await collection.deleteMany({ _id: { $in: again.slice(i, i + DELETE_CHUNK) } });
      const docs = changed.map(({ doc }) => doc);
      for (let i = 0; i < docs.length; i += INSERT_CHUNK) await collection.insertMany(docs.slice(i, i + INSERT_CHUNK), { ordered: false });
      this.written += docs.length;
      this.rewritten += again.length;
    }
  }
}

function noIds(): IdsByModel {
  return { users: [], conversations: [], messages: [], unreadCounts: [] };
}
