import type { Collection, Db } from 'mongodb';
import { dependentKeys, type DocumentKeys, namedKeys } from '../domain/batch-projection';
import { type ChangedDocument, type DocumentMap, ReadModelDocuments, readModelKeys, type StoredDocument } from '../domain/document-set';
import type { ProjectedEvent } from '../domain/read-model-documents';
import { encodeDocument, findDocuments, type StoredRecord } from '../read-models/read-model-codec';
import type { ReadModelCollections } from '../read-models/read-model-collections';
import { type ReadModelDocTypes, type ReadModelName, writeOrder } from '../read-models/read-model-storage';
import { type FinalDocuments, noFinalDocuments } from './document-lifetimes';

type Changes = readonly { readonly model: ReadModelName; readonly changed: ChangedDocument<StoredDocument>[] }[];

const INSERT_CHUNK = 2_000;
const DELETE_CHUNK = 10_000;
/**
 * Writes of final documents in flight at once: while one waits on the store, the next is
 * already on its way, and applying goes on. They never share a document (a document is final
 * once), so their order does not matter.
 */
const WRITES_IN_FLIGHT = 2;

/**
 * The documents of a rebuild, in memory across pages of events, written to the rebuild's own
 * collections in large unordered inserts that run while later events are applied.
 *
 * Nobody reads these collections until the switch and only the rebuild writes them, so a
 * document it never wrote is known absent without a query. Documents are inserted as soon
 * as they are final (see document-lifetimes.ts) and then dropped from memory; the rest at
 * the end. A document that changes after it was written (only possible for events the
 * first pass did not see) is rewritten at the end by deleting and inserting it again, one
 * `_id $in` delete per collection.
 */
export class ReplayCache {
  /**
   * A document asked for that was written as final and forgotten means the first pass missed
   * an event that touches it (a bug there): said loudly, never projected onto a blank.
   */
  readonly documents = new ReadModelDocuments((model, id) => {
    if (this.evicted[model].has(id)) throw new Error(`rebuild: ${model} ${id} was written as final, but a later event touches it (document-lifetimes.ts missed it)`);
  });
  /** Ids written and then dropped from memory, per read model: the only ones a query can find. */
  private readonly evicted = Object.fromEntries(readModelKeys.map((model) => [model, new Set<string>()])) as unknown as {
    [K in ReadModelName]: Set<string>;
  };
  /** Writes in progress, oldest first, each with the final documents it writes (dropped from memory once it completed). */
  private readonly inflight: { readonly done: Promise<void>; readonly ids: FinalDocuments }[] = [];
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

  /**
   * Makes every document `events` read or change available in memory. Events the first pass
   * saw need nothing (`seen`): what they touch is not final yet, so it is still in memory
   * (or was never written); only later events may need written documents back.
   */
  async prepare(events: readonly ProjectedEvent[], seen = false): Promise<void> {
    if (seen) return;
    await this.ensureAll(namedKeys(events), ['users', 'conversations', 'messages']);
    await this.ensureAll(dependentKeys(events, this.documents), ['timeline', 'inboxes', 'reads', 'contacts']);
  }

  private async ensureAll(keys: DocumentKeys, models: readonly ReadModelName[]): Promise<void> {
    await Promise.all(models.map((model) => this.ensure(model, this.documents.map(model) as DocumentMap<ReadModelDocTypes[typeof model] & StoredDocument>, keys[model])));
  }

  /**
   * Starts inserting documents that are final (nothing after this changes or reads them),
   * once fewer than WRITES_IN_FLIGHT writes are under way. Does not wait for this one.
   */
  async writeFinal(final: FinalDocuments): Promise<void> {
    while (this.inflight.length >= WRITES_IN_FLIGHT) await this.settleOldest();
    const changes = writeOrder.map((model) => ({ model, changed: (this.documents.map(model) as DocumentMap<StoredDocument>).takeIds(final[model]) }));
    this.start(changes, final);
  }

  /** Writes everything still unwritten or changed since written, and waits for it. */
  async writeAll(): Promise<void> {
    await this.drain();
    this.start(writeOrder.map((model) => ({ model, changed: this.documents.take(model, () => true) })), noFinalDocuments());
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
      for (const id of this.documents.map(model).evictIds(oldest.ids[model])) this.evicted[model].add(id);
    }
  }

  private start(changes: Changes, ids: FinalDocuments): void {
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
    const found = await findDocuments<ReadModelDocTypes[K] & StoredDocument>(this.collection(model), toLoad);
    const byId = new Map(found.map((doc) => [doc._id, doc]));
    for (const id of toLoad) {
      const doc = byId.get(id);
      if (!doc) throw new Error(`rebuild: ${model} ${id} was written but is not in ${this.collections[model]}`);
      map.loaded(id, doc);
      this.evicted[model].delete(id);
    }
  }

  private collection(model: ReadModelName): Collection<StoredRecord> {
    return this.db.collection<StoredRecord>(this.collections[model]);
  }

  private async write(changes: Changes): Promise<void> {
    if (changes.every(({ changed }) => changed.length === 0)) return;
    for (const { model, changed } of changes) {
      const collection = this.collection(model);
      const again = changed.filter(({ stored }) => stored !== null).map(({ doc }) => doc._id);
      for (let i = 0; i < again.length; i += DELETE_CHUNK) await collection.deleteMany({ _id: { $in: again.slice(i, i + DELETE_CHUNK) } });
      const docs = changed.map(({ doc }) => encodeDocument(doc));
      for (let i = 0; i < docs.length; i += INSERT_CHUNK) await collection.insertMany(docs.slice(i, i + INSERT_CHUNK), { ordered: false });
      this.written += docs.length;
      this.rewritten += again.length;
    }
  }
}
