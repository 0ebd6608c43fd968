import { type ReadModelKey, readModelKeys } from '../domain/document-set';
import type { ReadModelName } from './read-model-storage';

/**
 * The collection names of one set of read models. Names are built from a prefix and a
 * suffix, so a rebuild can fill a new set (suffix `_r<time>`) while the live set keeps
 * serving, and the switch between them is one document (see active-read-models.ts).
 */
export type ReadModelCollections = { readonly prefix: string; readonly suffix: string } & { readonly [K in ReadModelKey]: string };

/**
 * The documents' layout: each document's body one JSON string, every read an `_id` lookup
 * (read-model-documents.ts). A set of another layout is not read; see active-read-models.ts.
 */
export const READ_MODEL_LAYOUT = 2;

/** The suffix of this layout's first set, the one a fresh store (or one of an older layout) starts with. */
export const FIRST_SET_SUFFIX = `_v${READ_MODEL_LAYOUT}`;

const baseNames: { readonly [K in ReadModelKey]: string } = {
  users: 'users',
  conversations: 'conversations',
  messages: 'messages',
  timeline: 'timeline',
  inboxes: 'inboxes',
  reads: 'read_states',
  contacts: 'contacts',
};

export interface ReadModelNaming {
  /** Before every collection name, e.g. a tenant or test namespace. Default ''. */
  readonly prefix?: string;
  /** After every read-model collection name; default FIRST_SET_SUFFIX. */
  readonly suffix?: string;
}

const NAME_PART = /^[A-Za-z0-9_]*$/;

export function readModelCollections(naming: ReadModelNaming = {}): ReadModelCollections {
  const prefix = naming.prefix ?? '';
  const suffix = naming.suffix ?? FIRST_SET_SUFFIX;
  for (const part of [prefix, suffix]) {
    if (!NAME_PART.test(part) || part.length > 40) throw new Error(`not a usable collection name part: '${part}'`);
  }
  const names = Object.fromEntries(readModelKeys.map((model) => [model, `${prefix}${baseNames[model]}${suffix}`]));
  return { prefix, suffix, ...(names as { [K in ReadModelKey]: string }) };
}

export function collectionNamesOf(collections: ReadModelCollections): Record<ReadModelName, string> {
  return Object.fromEntries(readModelKeys.map((model) => [model, collections[model]])) as Record<ReadModelName, string>;
}

/** The checkpoint name of a set: each set is built from its own position in the store. */
export function checkpointNameOf(collections: ReadModelCollections): string {
  return `${collections.prefix}read-models${collections.suffix}`;
}

/** Where checkpoints and the active-set pointer live (never suffixed: they outlive every set). */
export function checkpointsCollectionName(prefix = ''): string {
  return `${prefix}checkpoints`;
}

export function activeReadModelsCollectionName(prefix = ''): string {
  return `${prefix}active_read_models`;
}
