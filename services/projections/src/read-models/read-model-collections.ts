import type { ReadModelName } from './read-model-storage';

/**
 * The collection names of one set of read models. Names are built from a prefix and a
 * suffix, so a rebuild can fill a new set (suffix `_r<time>`) while the live set keeps
 * serving, and the switch between them is one document (see active-read-models.ts).
 */
export interface ReadModelCollections {
  readonly prefix: string;
  readonly suffix: string;
  readonly users: string;
  readonly conversations: string;
  readonly messages: string;
  readonly unreadCounts: string;
}

export interface ReadModelNaming {
  /** Before every collection name, e.g. a tenant or test namespace. Default ''. */
  readonly prefix?: string;
  /** After every read-model collection name; '' for the original set. */
  readonly suffix?: string;
}

const NAME_PART = /^[A-Za-z0-9_]*$/;

export function readModelCollections(naming: ReadModelNaming = {}): ReadModelCollections {
  const prefix = naming.prefix ?? '';
  const suffix = naming.suffix ?? '';
  for (const part of [prefix, suffix]) {
    if (!NAME_PART.test(part) || part.length > 40) throw new Error(`not a usable collection name part: '${part}'`);
  }
  return {
    prefix,
    suffix,
    users: `${prefix}users${suffix}`,
    conversations: `${prefix}conversations${suffix}`,
    messages: `${prefix}messages${suffix}`,
    unreadCounts: `${prefix}unread_counts${suffix}`,
  };
}

export function collectionNamesOf(collections: ReadModelCollections): Record<ReadModelName, string> {
  const { users, conversations, messages, unreadCounts } = collections;
  return { users, conversations, messages, unreadCounts };
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
