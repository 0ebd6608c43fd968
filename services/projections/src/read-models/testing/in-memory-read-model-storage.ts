import { readModelKeys } from '../../domain/document-set';
import { type ReadModelChanges, type ReadModelDocTypes, type ReadModelName, type ReadModelStorage, writeOrder } from '../read-model-storage';

/** Thrown by InMemoryReadModelStorage when a test asked the write to stop part-way. */
export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash during write-back');
    this.name = 'SimulatedCrash';
  }
}

/**
 * The read models in plain maps, with MongoDB's write semantics as the adapter uses them
 * (guarded replace, insert tolerating the same document written already), and a switch that
 * makes the next write stop after a given number of documents, as a process killed in the
 * middle of its bulk writes would.
 */
export class InMemoryReadModelStorage implements ReadModelStorage {
  readonly collections = Object.fromEntries(readModelKeys.map((model) => [model, new Map()])) as unknown as {
    [K in ReadModelName]: Map<string, ReadModelDocTypes[K]>;
  };
  private crashAfter: number | undefined;

  /** The next write stops (throwing SimulatedCrash) after writing `documents` documents. */
  crashNextWriteAfter(documents: number): void {
    this.crashAfter = documents;
  }

  async load<K extends ReadModelName>(model: K, ids: readonly string[]): Promise<ReadModelDocTypes[K][]> {
    const collection = this.collections[model] as Map<string, ReadModelDocTypes[K]>;
    return ids.flatMap((id) => {
      const doc = collection.get(id);
      return doc ? [structuredClone(doc)] : [];
    });
  }

  async write(changes: ReadModelChanges): Promise<void> {
    let budget = this.crashAfter;
    this.crashAfter = undefined;
    for (const model of writeOrder) {
      const collection = this.collections[model] as Map<string, ReadModelDocTypes[typeof model]>;
      for (const { doc, stored, unsure } of changes[model]) {
        if (budget !== undefined && budget-- <= 0) throw new SimulatedCrash();
        const current = collection.get(doc._id);
        if (unsure) {
          if (!current || current.position < doc.position) collection.set(doc._id, structuredClone(doc));
        } else if (stored === null) {
          if (current && current.position < doc.position) throw new Error(`insert of ${model} ${doc._id} met an older document: another writer`);
          if (!current) collection.set(doc._id, structuredClone(doc));
        } else if (current && current.position < doc.position) {
          collection.set(doc._id, structuredClone(doc));
        }
      }
    }
  }
}
