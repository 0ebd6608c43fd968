import type { GlobalPosition } from '@chat/runtime';
import { type AnyBulkWriteOperation, type Collection, type Db, MongoBulkWriteError } from 'mongodb';
import type { ChangedDocument, StoredDocument } from '../domain/document-set';
import { activeReadModels } from './active-read-models';
import { CheckpointStore } from './checkpoint-store';
import { encodeDocument, findDocuments, type StoredRecord } from './read-model-codec';
import { checkpointNameOf, type ReadModelCollections } from './read-model-collections';
import { type ReadModelChanges, type ReadModelDocTypes, type ReadModelName, type ReadModelStorage, writeOrder } from './read-model-storage';

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
 * How writes are shaped for the server. A position guard in a replace's filter costs MongoDB
 * nothing, but FerretDB v1 pushes only `_id` down to SQLite (and, with our patch, `_id $in`):
 * any other filter decodes the whole collection in Go, so there the guard is applied in
 * memory only, by the one writer (see MongoReadModelStorage).
 */
export interface StorageTuning {
  /** Put the position guard in each replace's filter. */
  readonly guardInFilter: boolean;
}

export const mongoTuning: StorageTuning = { guardInFilter: true };
export const ferretDbTuning: StorageTuning = { guardInFilter: false };

/** True when the server answering is FerretDB (its buildInfo names its own version). */
export async function isFerretDb(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

const DUPLICATE_KEY = 11000;
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
 * The read models in MongoDB (FerretDB locally), each document stored as read-model-codec.ts
 * has it. Loads are `_id $in` queries; writes are unordered bulks per read model, in
 * `writeOrder`:
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

  /** The active set of read models (or the one given). */
  static async open(db: Db, options: OpenReadModelStorageOptions = {}): Promise<MongoReadModelStorage> {
    const collections = options.collections ?? (await activeReadModels(db, options.prefix ?? ''));
    const ferretdb = options.ferretdb ?? (await isFerretDb(db));
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

  /** The stored records of one read model (read-model-codec.ts). */
  records(model: ReadModelName): Collection<StoredRecord> {
    return this.db.collection<StoredRecord>(this.collections[model]);
  }

  load<K extends ReadModelName>(model: K, ids: readonly string[]): Promise<ReadModelDocTypes[K][]> {
    return findDocuments<ReadModelDocTypes[K]>(this.records(model), ids);
  }

  async write(changes: ReadModelChanges): Promise<void> {
    for (const model of writeOrder) await this.writeModel(model, changes[model]);
  }

  private async writeModel<K extends ReadModelName>(model: K, changed: readonly ChangedDocument<ReadModelDocTypes[K]>[]): Promise<void> {
    const collection = this.records(model);
    const inserts = changed.filter(isInsert);
    const replaces = changed.filter((change) => !isInsert(change));
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) await this.bulk(collection, inserts.slice(i, i + INSERT_CHUNK));
    for (let i = 0; i < replaces.length; i += REPLACE_CHUNK) await this.bulk(collection, replaces.slice(i, i + REPLACE_CHUNK));
  }

  private async bulk(collection: Collection<StoredRecord>, changed: readonly ChangedDocument<StoredDocument>[]): Promise<void> {
    const operations = changed.map((change): AnyBulkWriteOperation<StoredRecord> => {
      const record = encodeDocument(change.doc);
      if (isInsert(change)) return { insertOne: { document: record } };
      const { _id, ...replacement } = record;
      // Without the guard in the filter, a repeated write rewrites the same content: harmless.
      const filter = this.tuning.guardInFilter ? { _id, position: { $lt: change.doc.position } } : { _id };
      // An unsure document may be absent; where a newer one is stored, the guarded upsert's insert meets E11000.
      return { replaceOne: { filter, replacement, ...(change.unsure ? { upsert: true } : {}) } };
    });
    try {
      await collection.bulkWrite(operations, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      const duplicates: ChangedDocument<StoredDocument>[] = [];
      for (const writeError of writeErrors) {
        const change = changed[writeError.index];
        if (writeError.code !== DUPLICATE_KEY || !change || !(isInsert(change) || change.unsure)) throw error;
        duplicates.push(change);
      }
      await this.checkWrittenAlready(collection, duplicates);
    }
  }

  /** Inserts (and unsure upserts) that met E11000: fine if the stored document is this very one, or newer. */
  private async checkWrittenAlready(collection: Collection<StoredRecord>, duplicates: readonly ChangedDocument<StoredDocument>[]): Promise<void> {
    const ids = duplicates.map(({ doc }) => doc._id);
    const stored = new Map((await collection.find({ _id: { $in: ids } }, { projection: { position: 1 } }).toArray()).map((doc) => [doc._id, doc.position]));
    const foreign = duplicates.filter(({ doc }) => {
      const position = stored.get(doc._id);
      return position === undefined || position < doc.position;
    });
    if (foreign.length > 0) throw new ConcurrentWriterError(collection.collectionName, foreign.map(({ doc }) => doc._id));
  }
}

/** A document storage held nothing of when it was loaded, and no failed write has touched since. */
function isInsert(change: ChangedDocument<StoredDocument>): boolean {
  return change.stored === null && !change.unsure;
}
