import { formatPosition, type GlobalPosition } from '@chat/runtime';
import { type Collection, type Db, MongoServerError } from 'mongodb';
import { positionFromKey, positionKey } from '../domain/position-keys';
import { checkpointsCollectionName } from './read-model-collections';

interface CheckpointDoc {
  _id: string;
  /** `formatPosition`: for people and logs. */
  position: string;
  /** Sortable (position-keys.ts): what the guard compares. */
  key: string;
  commit: bigint;
  prepare: bigint;
  updatedAt: Date;
}

const DUPLICATE_KEY = 11000;

/**
 * Where each projection (by name) has got to in the store. Saving is guarded: a checkpoint
 * never moves backwards, so a slow writer finishing late cannot undo a newer one.
 *
 * The checkpoint is never in a transaction with the documents it covers (FerretDB has no
 * transactions): save it after the documents are written, and the documents' own position
 * guards absorb whatever a restart from it delivers again.
 */
export class CheckpointStore {
  private readonly collection: Collection<CheckpointDoc>;

  constructor(db: Db, prefix = '') {
    this.collection = db.collection<CheckpointDoc>(checkpointsCollectionName(prefix));
  }

  /** The stored position, or undefined when the projection never saved one (start from the beginning). */
  async loadCheckpoint(name: string): Promise<GlobalPosition | undefined> {
    const doc = await this.collection.findOne({ _id: name });
    return doc ? positionFromKey(doc.key) : undefined;
  }

  /** Stores `position` unless a later one is stored already; true when it moved. */
  async saveCheckpoint(name: string, position: GlobalPosition): Promise<boolean> {
    const key = positionKey(position);
    const fields = { position: formatPosition(position), key, commit: position.commit, prepare: position.prepare, updatedAt: new Date() };
    const moved = await this.collection.updateOne({ _id: name, key: { $lt: key } }, { $set: fields });
    if (moved.matchedCount > 0) return true;
    try {
      await this.collection.insertOne({ _id: name, ...fields });
      return true;
    } catch (error) {
      // Stored already, at this position or a later one: nothing to move.
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async deleteCheckpoint(name: string): Promise<void> {
    await this.collection.deleteOne({ _id: name });
  }
}
