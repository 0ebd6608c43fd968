import type { ChangedDocument, ReadModelDocTypes, ReadModelKey } from '../domain/document-set';

export type { ReadModelDocTypes } from '../domain/document-set';
export type ReadModelName = ReadModelKey;

/**
 * The order a batch's documents are written back in: every document before the documents its
 * projection reads (see batch-projection.ts): pages and inboxes before what a user read (a read
 * changes both, judged by what the user had read before), everything before the conversation
 * it depends on, users last. After a write that stopped half-way, nothing is then ahead of a
 * document it depends on, which is what makes re-applying exact (the in-memory crash tests
 * fail with other orders).
 */
export const writeOrder: readonly ReadModelName[] = ['messages', 'timeline', 'inboxes', 'reads', 'contacts', 'conversations', 'users'];

export type ReadModelChanges = { readonly [K in ReadModelName]: readonly ChangedDocument<ReadModelDocTypes[K]>[] };

/**
 * Where the read models live. The batch applier needs only this; MongoDB implements it
 * (mongo-read-model-storage.ts), and unit tests use an in-memory one that can fail half-way.
 */
export interface ReadModelStorage {
  /** The stored documents among `ids` (absent ones are simply not returned). */
  load<K extends ReadModelName>(model: K, ids: readonly string[]): Promise<ReadModelDocTypes[K][]>;
  /**
   * Writes changed documents model by model in `writeOrder`, each under its guard: a document
   * is replaced only by a newer position, and one that was absent is inserted (an insert that
   * finds it written already by this same change, e.g. a retried write, is not an error).
   * Writing the same changes twice is harmless.
   */
  write(changes: ReadModelChanges): Promise<void>;
}
