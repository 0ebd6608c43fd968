import type { Collection } from 'mongodb';
import type { StoredDocument } from '../domain/document-set';

/**
 * How a read-model document is stored: its id and guard position as fields, everything else
 * as one JSON string. Nothing queries inside a read model (every read is by `_id`), and
 * FerretDB v1 spends its time per stored value: it decodes each field of a document read in
 * Go, so read in bulk, a message of 20-odd fields costs twice as much as fields as one string,
 * and 50 messages in one document six times as much (docs/benchmarks.md, "Document shapes").
 * MongoDB reads either shape at about the same cost.
 */
export interface StoredRecord {
  _id: string;
  /** The guard (position-keys.ts): a field of its own, so MongoDB can compare it in a filter. */
  position: string;
  /** The document without `_id` and `position`, as JSON. */
  v: string;
}

export function encodeDocument(doc: StoredDocument): StoredRecord {
  const { _id, position, ...body } = doc as StoredDocument & Record<string, unknown>;
  return { _id, position, v: JSON.stringify(body) };
}

/** The document a record holds; `D` is the read model's document type (its collection holds only those). */
export function decodeDocument<D extends StoredDocument = StoredDocument>(record: StoredRecord): D {
  const body = JSON.parse(record.v) as Record<string, unknown>;
  return { ...body, _id: record._id, position: record.position } as unknown as D;
}

/**
 * Ids per `$in` query: well under the 16 MB limits of a command and of an answer's first
 * batch, and under what FerretDB (our patch) pushes down to SQLite at once.
 */
const IDS_PER_QUERY = 1_000;

/** The documents stored under `ids`, decoded (absent ones are simply not returned): `_id $in`, in chunks. */
export async function findDocuments<D extends StoredDocument>(collection: Collection<StoredRecord>, ids: readonly string[]): Promise<D[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) chunks.push(ids.slice(i, i + IDS_PER_QUERY));
  const records = await Promise.all(chunks.map((chunk) => collection.find({ _id: { $in: chunk } }).toArray()));
  return records.flat().map((record) => decodeDocument<D>(record));
}
