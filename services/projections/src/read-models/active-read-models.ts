import type { Db } from 'mongodb';
import { activeReadModelsCollectionName, type ReadModelCollections, readModelCollections } from './read-model-collections';

interface ActiveReadModelsDoc {
  _id: string;
  suffix: string;
  activatedAt: Date;
  /** The set it replaced, for operators. */
  previousSuffix: string | null;
}

const ACTIVE_ID = 'read-models';

/**
 * Which set of read-model collections serves (see read-model-collections.ts). Switching is
 * one document replace, atomic on every server; readers resolve the set through it.
 */
export async function activeReadModels(db: Db, prefix = ''): Promise<ReadModelCollections> {
  const doc = await db.collection<ActiveReadModelsDoc>(activeReadModelsCollectionName(prefix)).findOne({ _id: ACTIVE_ID });
  return readModelCollections({ prefix, suffix: doc?.suffix ?? '' });
}

/** Makes `collections` the serving set; answers the set it replaced. */
export async function activateReadModels(db: Db, collections: ReadModelCollections): Promise<ReadModelCollections> {
  const previous = await activeReadModels(db, collections.prefix);
  await db.collection<ActiveReadModelsDoc>(activeReadModelsCollectionName(collections.prefix)).replaceOne(
    { _id: ACTIVE_ID },
    { suffix: collections.suffix, activatedAt: new Date(), previousSuffix: previous.suffix },
    { upsert: true },
  );
  return previous;
}
