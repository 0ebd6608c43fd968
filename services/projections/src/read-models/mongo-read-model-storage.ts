import type { GlobalPosition } from '@chat/runtime';
import { type AnyBulkWriteOperation, type Collection, type Db, MongoBulkWriteError } from 'mongodb';
import type { ChangedDocument, StoredDocument } from '../domain/document-set';
import type { MessageDoc } from '../domain/read-model-documents';
import { activeReadModels } from './active-read-models';
import { CheckpointStore } from './checkpoint-store';
import { checkpointNameOf, type ReadModelCollections } from './read-model-collections';
import { ensureIndexes } from './read-model-indexes';
import { type ReadModelChanges, type ReadModelDocTypes, type ReadModelName, type ReadModelStorage, writeOrder } from './read-model-storage';

/** What every read-model document has; the storage boundary knows no more than this. */
type Stored = { _id: string; position: string };

/** One projection's checkpoint, bound to its name (what the worker loads and saves). */
export interface BoundCheckpoint {
  load(): Promise<GlobalPosition | undefined>;
  /** Never moves backwards. */
  save(position: GlobalPosition): Promise<void>;
}

export interface OpenReadModelStorageOptions {
  /** Collection-name prefix (tests, tenants). Default ''. */
  readonly prefix?: string;
  /** A specific set; default: the active one (active-read-models.ts). */
  readonly collections?: ReadModelCollections;
  /** Whether the server is FerretDB (see StorageTuning); default: asked with `buildInfo`. */
  readonly ferretdb?: boolean;
}

/**
 * How reads and writes are shaped for the server. FerretDB v1 (SQLite) pushes only a
 * single-key `{ _id: <value> }` filter down to SQLite (an index search with our patch of its
 * `_id` expression: deploy/local/ferretdb/patches), while any other filter, `$in` included,
 * decodes every document of the collection in Go first. Measured at 20,000 documents: a
 * lookup by `_id` 0.6 ms, a replace 0.9 ms, while one `$in` of 50 ids takes 0.8 s and grows
 * with the collection; a guarded replace (`_id` + `position`) is a scan too.
 */
export interface StorageTuning {
  /** Load up to this many ids of one read model with one `_id` query each; more with `$in`. */
  readonly lookupsPerLoad: number;
  /** How many of those lookups are in flight at once. */
  readonly lookupConcurrency: number;
  /** Put the position guard in each replace's filter (cheap on MongoDB, a full decode per replace on FerretDB). */
  readonly guardInFilter: boolean;
}

export const mongoTuning: StorageTuning = { lookupsPerLoad: 0, lookupConcurrency: 1, guardInFilter: true };
export const ferretDbTuning: StorageTuning = { lookupsPerLoad: Number.POSITIVE_INFINITY, lookupConcurrency: 16, guardInFilter: false };

/** True when the server answering is FerretDB (its buildInfo names its own version). */
export async function isFerretDb(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

const DUPLICATE_KEY = 11000;
/** Ids per `$in` query: keeps each query well under the 16 MB command limit. */
const LOAD_CHUNK = 5_000;
const INSERT_CHUNK = 1_000;
/**
 * Replacements per command. FerretDB v1.24 keeps every matched document's SQLite cursor of an
 * update command open until the whole command ends (msg_update.go defers each iterator's
 * close inside its loop over the updates), and a database has a pool of 100 connections: a
 * command with 100 or more matching replacements waits forever for a connection, and with it
 * every later command on that server. 101 replaceOne in one bulkWrite hang; 99 pass.
 */
const REPLACE_CHUNK = 50;

/** A write found a document it should own changed by someone else: the one-writer rule was broken. */
export class ConcurrentWriterError extends Error {
  constructor(collection: string, ids: readonly string[]) {
    super(
      `${collection}: could not insert ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? '…' : ''}: ` +
        'another writer holds them, or another document holds one of their unique keys',
    );
    this.name = 'ConcurrentWriterError';
  }
}

/**
 * The read models in MongoDB (FerretDB locally). Loads are `_id $in` queries (on FerretDB,
 * few ids are looked up one by one: see StorageTuning); writes are unordered bulks per read
 * model, in `writeOrder`:
 *   - a document that existed when loaded: `replaceOne` filtered on `_id` and, on MongoDB,
 *     `position < new position`, so a repeated write matches nothing (on FerretDB the guard
 *     stays out of the filter, where it would double the cost, and a repeated write writes
 *     the same content again; the one-writer rule is what keeps anything else out);
 *   - a new document: `insertOne`. FerretDB reports duplicate keys on inserts (not on
 *     upserts' inserts, whose filter would then have to be trusted), so a repeated write
 *     shows up as E11000, and is accepted after checking that the stored document is this
 *     one or newer. Anything else means a second writer, which the design forbids.
 */
export class MongoReadModelStorage implements ReadModelStorage {
  private readonly checkpointStore: CheckpointStore;

  constructor(
    private readonly db: Db,
    readonly collections: ReadModelCollections,
    private readonly tuning: StorageTuning = mongoTuning,
  ) {
    this.checkpointStore = new CheckpointStore(db, collections.prefix);
  }

  /** The active set of read models (or the one given), its collections and indexes created. */
  static async open(db: Db, options: OpenReadModelStorageOptions = {}): Promise<MongoReadModelStorage> {
    const collections = options.collections ?? (await activeReadModels(db, options.prefix ?? ''));
    const ferretdb = options.ferretdb ?? (await isFerretDb(db));
    await ensureIndexes(db, collections);
    return new MongoReadModelStorage(db, collections, ferretdb ? ferretDbTuning : mongoTuning);
  }

  /**
   * The checkpoint of this set of read models. Leave `name` out: each set has its own
   * (checkpointNameOf), which is what lets a rebuilt set take over where its rebuild ended.
   */
  checkpoints(name = checkpointNameOf(this.collections)): BoundCheckpoint {
    return {
      load: () => this.checkpointStore.loadCheckpoint(name),
      save: async (position) => {
        await this.checkpointStore.saveCheckpoint(name, position);
      },
    };
  }

  /** False once a rebuild has made another set the active one: this writer should stop and reopen. */
  async isActive(): Promise<boolean> {
    return (await activeReadModels(this.db, this.collections.prefix)).suffix === this.collections.suffix;
  }

  collection<K extends ReadModelName>(model: K): Collection<ReadModelDocTypes[K]> {
    return this.db.collection<ReadModelDocTypes[K]>(this.collections[model]);
  }

  async load<K extends ReadModelName>(model: K, ids: readonly string[]): Promise<ReadModelDocTypes[K][]> {
    const collection = this.storedCollection(model);
    let found: Stored[];
    if (ids.length <= this.tuning.lookupsPerLoad) {
      found = [];
      let next = 0;
      const lookups = async (): Promise<void> => {
        while (next < ids.length) {
          const doc = await collection.findOne({ _id: ids[next++] as string });
          if (doc !== null) found.push(doc);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.tuning.lookupConcurrency, ids.length) }, lookups));
    } else {
      const chunks: string[][] = [];
      for (let i = 0; i < ids.length; i += LOAD_CHUNK) chunks.push(ids.slice(i, i + LOAD_CHUNK));
      found = (await Promise.all(chunks.map((chunk) => collection.find({ _id: { $in: chunk } }).toArray()))).flat();
    }
    // The collection holds what this storage wrote: documents of this read model's type.
    return found as StoredDocument[] as ReadModelDocTypes[K][];
  }

  async findReplies(messageIds: readonly string[]): Promise<MessageDoc[]> {
    return this.collection('messages')
      .find({ 'replyTo._id': { $in: [...messageIds] } })
      .toArray();
  }

  private storedCollection(model: ReadModelName): Collection<Stored> {
    return this.db.collection<Stored>(this.collections[model]);
  }

  async write(changes: ReadModelChanges): Promise<void> {
    for (const model of writeOrder) await this.writeModel(model, changes[model]);
  }

  private async writeModel<K extends ReadModelName>(model: K, changed: readonly ChangedDocument<ReadModelDocTypes[K]>[]): Promise<void> {
    const collection = this.storedCollection(model);
    const inserts = changed.filter(({ stored }) => stored === null);
    const replaces = changed.filter(({ stored }) => stored !== null);
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) await this.bulk(collection, inserts.slice(i, i + INSERT_CHUNK));
    for (let i = 0; i < replaces.length; i += REPLACE_CHUNK) await this.bulk(collection, replaces.slice(i, i + REPLACE_CHUNK));
  }

  private async bulk(collection: Collection<Stored>, changed: readonly ChangedDocument<Stored>[]): Promise<void> {
    const operations = changed.map(({ doc, stored }): AnyBulkWriteOperation<Stored> => {
      if (stored === null) return { insertOne: { document: doc } };
      const { _id, ...replacement } = doc;
      // Without the guard in the filter, a repeated write rewrites the same content: harmless.
      const filter = this.tuning.guardInFilter ? { _id, position: { $lt: doc.position } } : { _id };
      return { replaceOne: { filter, replacement } };
    });
    try {
      await collection.bulkWrite(operations, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      const duplicates: ChangedDocument<Stored>[] = [];
      for (const writeError of writeErrors) {
        const change = changed[writeError.index];
        if (writeError.code !== DUPLICATE_KEY || !change || change.stored !== null) throw error;
        duplicates.push(change);
      }
      await this.checkWrittenAlready(collection, duplicates);
    }
  }

  /** Inserts that met E11000: fine if the stored document is this very one, or newer. */
  private async checkWrittenAlready(collection: Collection<Stored>, duplicates: readonly ChangedDocument<Stored>[]): Promise<void> {
    const ids = duplicates.map(({ doc }) => doc._id);
    const stored = new Map((await collection.find({ _id: { $in: ids } }, { projection: { position: 1 } }).toArray()).map((doc) => [doc._id, doc.position]));
    const foreign = duplicates.filter(({ doc }) => {
      const position = stored.get(doc._id);
      return position === undefined || position < doc.position;
    });
    if (foreign.length > 0) throw new ConcurrentWriterError(collection.collectionName, foreign.map(({ doc }) => doc._id));
  }
}
