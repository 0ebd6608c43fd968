import { randomUUID } from 'node:crypto';
import { type Db, MongoClient } from 'mongodb';
import { readModelKeys } from '../../domain/document-set';
import { decodeDocument, type StoredRecord } from '../read-model-codec';
import type { ReadModelCollections } from '../read-model-collections';
import type { ReadModelName } from '../read-model-storage';

/** A database of its own per test file on the shared MongoDB/FerretDB, dropped afterwards. */
export interface TestDatabase {
  readonly client: MongoClient;
  readonly db: Db;
  drop(): Promise<void>;
}

export function mongoUrl(): string {
  const url = process.env.MONGODB_URL;
  if (!url) throw new Error('MONGODB_URL was not set by the global setup');
  return url;
}

export async function openTestDatabase(name = 'proj_test'): Promise<TestDatabase> {
  // FerretDB v1 has no retryable writes.
  const client = new MongoClient(mongoUrl(), { retryWrites: false });
  await client.connect();
  const db = client.db(`${name}_${randomUUID().slice(0, 8)}`);
  return {
    client,
    db,
    async drop() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** Every document of a set, per read model, sorted by id: for document-for-document comparisons. */
export async function dumpReadModels(db: Db, collections: ReadModelCollections): Promise<Record<ReadModelName, unknown[]>> {
  const dump = async (name: string) =>
    (await db.collection<StoredRecord>(name).find({}).toArray()).map(decodeDocument).sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  const dumps = await Promise.all(readModelKeys.map(async (model) => [model, await dump(collections[model])] as const));
  return Object.fromEntries(dumps) as Record<ReadModelName, unknown[]>;
}
