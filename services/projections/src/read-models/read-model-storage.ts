import type { ChangedDocument } from '../domain/document-set';
import type { ConversationDoc, MessageDoc, UnreadCountDoc, UserDoc } from '../domain/read-model-documents';

export interface ReadModelDocTypes {
  users: UserDoc;
  conversations: ConversationDoc;
  messages: MessageDoc;
  unreadCounts: UnreadCountDoc;
}

export type ReadModelName = keyof ReadModelDocTypes;

/**
 * The order a batch's documents are written back in: every document before the documents
 * its projection reads from. Unread counts read their conversation's readers and counters,
 * and a message takes its place (`seq`) from its conversation's message count, so both go
 * before conversations. After a write that stopped half-way, no conversation is then ahead
 * of a document that depends on it, which is what makes re-applying exact (see
 * batch-projection.ts; the in-memory crash tests fail with any other order).
 */
export const writeOrder: readonly ReadModelName[] = ['unreadCounts', 'messages', 'conversations', 'users'];

export type ReadModelChanges = { readonly [K in ReadModelName]: readonly ChangedDocument<ReadModelDocTypes[K]>[] };

/**
 * Where the read models live. The batch applier needs only this; MongoDB implements it
 * (mongo-read-model-storage.ts), and unit tests use an in-memory one that can fail half-way.
 */
export interface ReadModelStorage {
  /** The stored documents among `ids` (absent ones are simply not returned). */
  load<K extends ReadModelName>(model: K, ids: readonly string[]): Promise<ReadModelDocTypes[K][]>;
  /** Messages quoting any of `messageIds`. */
  findReplies(messageIds: readonly string[]): Promise<MessageDoc[]>;
  /**
   * Writes changed documents model by model in `writeOrder`, each under its guard: a document
   * is replaced only by a newer position, and one that was absent is inserted (an insert that
   * finds it written already by this same change, e.g. a retried write, is not an error).
   * Writing the same changes twice is harmless.
   */
  write(changes: ReadModelChanges): Promise<void>;
}
