import type { Db } from 'mongodb';
import {
  activeReadModelsCollectionName,
  FIRST_SET_SUFFIX,
  READ_MODEL_LAYOUT,
  type ReadModelCollections,
  readModelCollections,
} from './read-model-collections';

interface ActiveReadModelsDoc {
  _id: string;
  suffix: string;
  /** The documents' layout of the set (absent: the first one, before layouts were numbered). */
  layout?: number;
  activatedAt: Date;
  /** The set it replaced, for operators. */
  previousSuffix: string | null;
}

const ACTIVE_ID = 'read-models';

/**
 * Which set of read-model collections serves (see read-model-collections.ts). Switching is
 * one document replace, atomic on every server; readers resolve the set through it.
 *
 * A set of another layout than this code's is never used: this layout's first set serves
 * instead, and the projections worker, which writes whatever set is active, builds it from
 * the first event (its checkpoint is its own). So an upgrade rebuilds the read models by
 * itself, and readers see them fill up while the worker catches up.
 */
export async function activeReadModels(db: Db, prefix = ''): Promise<ReadModelCollections> {
  const doc = await db.collection<ActiveReadModelsDoc>(activeReadModelsCollectionName(prefix)).findOne({ _id: ACTIVE_ID });
  const suffix = doc?.layout === READ_MODEL_LAYOUT ? doc.suffix : FIRST_SET_SUFFIX;
  return readModelCollections({ prefix, suffix });
}

/** Makes `collections` the serving set; answers the set it replaced. */
export async function activateReadModels(db: Db, collections: ReadModelCollections): Promise<ReadModelCollections> {
  const previous = await activeReadModels(db, collections.prefix);
  await db.collection<ActiveReadModelsDoc>(activeReadModelsCollectionName(collections.prefix)).replaceOne(
    { _id: ACTIVE_ID },
    { suffix: collections.suffix, layout: READ_MODEL_LAYOUT, activatedAt: new Date(), previousSuffix: previous.suffix },
    { upsert: true },
  );
  return previous;
}
