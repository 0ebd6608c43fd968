import type { Db, IndexDescription } from 'mongodb';
import type { ReadModelCollections } from './read-model-collections';
import type { ReadModelName } from './read-model-storage';

/**
 * The indexes behind every query the API contract makes, and the applier's one non-`_id`
 * query. All are accepted by FerretDB v1.24 (partial indexes are not: `Index option
 * "partialFilterExpression" is not implemented yet`, so none is partial).
 *
 *   users          by `_id`                                   GET /users/me, participants
 *   conversations  by `_id`                                   GET /conversations/:id
 *                  participantIds + lastActivityAt desc       GET /conversations (most recent first)
 *   messages       by `_id`                                   message by id, DELETE /messages/:id
 *                  conversationId + seq desc (unique)         history pages, newest first, `before`
 *                  replyTo._id                                replies whose quote a deletion blanks
 *   unread_counts  by `_id` = `<userId>:<conversationId>`     a user's count in one or many conversations
 *
 * FerretDB v1 on SQLite builds and maintains these, and enforces unique ones, but pushes no
 * filter but `_id` equality down to SQLite, so there they serve as constraints rather than
 * speed-ups; on MongoDB (the Docker stack, production) they carry the queries.
 */
export const readModelIndexes: { readonly [K in ReadModelName]: readonly IndexDescription[] } = {
  users: [],
  conversations: [{ key: { participantIds: 1, lastActivityAt: -1 }, name: 'by_participant_activity' }],
  messages: [
    { key: { conversationId: 1, seq: -1 }, name: 'history', unique: true },
    { key: { 'replyTo._id': 1 }, name: 'replies' },
  ],
  unreadCounts: [],
};

/** Creates the collections and their indexes; safe to run again and concurrently. */
export async function ensureIndexes(db: Db, collections: ReadModelCollections): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const model of Object.keys(readModelIndexes) as ReadModelName[]) {
    const name = collections[model];
    if (!existing.has(name)) await db.createCollection(name).catch(ignoreAlreadyExists);
    // One index per command, only the missing ones: FerretDB v1.24 drops the connection
    // ("runtime error: slice bounds out of range") when one createIndexes names several
    // indexes that all exist already.
    const present = new Set((await db.collection(name).listIndexes().toArray()).map((index) => String(index.name)));
    for (const index of readModelIndexes[model]) {
      if (!present.has(index.name ?? '')) await db.collection(name).createIndexes([index]);
    }
  }
}

function ignoreAlreadyExists(error: unknown): void {
  // NamespaceExists: another process created it between our listing and our create.
  if (typeof error === 'object' && error !== null && 'code' in error && error.code === 48) return;
  throw error;
}
