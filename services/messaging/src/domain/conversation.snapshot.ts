import type { ConversationState } from './conversation.decider';
import { restoreMessageLog, snapshotMessageLog, type MessageLogSnapshot } from './message-log';

/**
 * Conversation state as plain JSON, so a long conversation can be loaded from a snapshot
 * plus the events after it instead of from its first event. Compact: messages are an array
 * of ids, senders are indexes into a table of people, and the maps that index them are
 * rebuilt on load rather than stored.
 *
 * `v` changes whenever the shape does. A snapshot of another version, or one that does not
 * read as this shape, makes `deserializeConversationState` throw: the caller then folds the
 * stream from its start, which is always correct, only slower.
 */
export const CONVERSATION_SNAPSHOT_VERSION = 1;

interface ConversationSnapshot {
  readonly v: typeof CONVERSATION_SNAPSHOT_VERSION;
  readonly status: ConversationState['status'];
  readonly blockers: string[];
  /** Absent while the stream is not a conversation yet. */
  readonly conversation?: {
    readonly conversationId: string;
    readonly createdBy: string;
    readonly createdAt: string;
    readonly participants: string[];
    readonly messages: MessageLogSnapshot;
    /** Groups only. */
    readonly group?: { readonly name: string | null; readonly admins: string[]; readonly groupImage: string | null };
  };
}

export function serializeConversationState(state: ConversationState): unknown {
  const snapshot: ConversationSnapshot =
    state.status === 'not_created'
      ? { v: CONVERSATION_SNAPSHOT_VERSION, status: state.status, blockers: [...state.blockers] }
      : {
          v: CONVERSATION_SNAPSHOT_VERSION,
          status: state.status,
          blockers: [...state.blockers],
          conversation: {
            conversationId: state.conversationId,
            createdBy: state.createdBy,
            createdAt: state.createdAt,
            participants: [...state.participants],
            messages: snapshotMessageLog(state.messages),
            ...(state.status === 'group'
              ? { group: { name: state.name, admins: [...state.admins], groupImage: state.groupImage } }
              : {}),
          },
        };
  return snapshot;
}

export function deserializeConversationState(json: unknown): ConversationState {
  const snapshot = record(json, 'snapshot');
  if (snapshot.v !== CONVERSATION_SNAPSHOT_VERSION) throw new SnapshotError(`unsupported version ${String(snapshot.v)}`);
  const blockers = new Set(array(snapshot.blockers, 'blockers', string));
  const status = snapshot.status;
  if (status === 'not_created') return { status, blockers };
  if (status !== 'direct' && status !== 'group') throw new SnapshotError(`unknown status ${String(status)}`);

  const conversation = record(snapshot.conversation, 'conversation');
  const messages = record(conversation.messages, 'messages');
  const common = {
    conversationId: string(conversation.conversationId, 'conversationId'),
    createdBy: string(conversation.createdBy, 'createdBy'),
    createdAt: string(conversation.createdAt, 'createdAt'),
    participants: new Set(array(conversation.participants, 'participants', string)),
    blockers,
    messages: restoreMessageLog({
      people: array(messages.people, 'people', string),
      ids: array(messages.ids, 'ids', string),
      senders: array(messages.senders, 'senders', integer),
      flags: array(messages.flags, 'flags', integer),
      clientMessageIds: array(messages.clientMessageIds, 'clientMessageIds', (pair, what): [number, string] => {
        const [index, clientMessageId] = tuple(pair, what, 2);
        return [integer(index, what), string(clientMessageId, what)];
      }),
      cursors: array(messages.cursors, 'cursors', (entry, what): [number, number, number[]] => {
        const [person, upTo, above] = tuple(entry, what, 3);
        return [integer(person, what), integer(upTo, what), array(above, what, integer)];
      }),
    }),
  };
  if (status === 'direct') return { status, ...common };
  const group = record(conversation.group, 'group');
  return {
    status,
    ...common,
    name: nullable(group.name, 'name', string),
    admins: new Set(array(group.admins, 'admins', string)),
    groupImage: nullable(group.groupImage, 'groupImage', string),
  };
}

// Readers for unknown JSON: small enough to need no schema library inside the domain.

class SnapshotError extends Error {
  constructor(message: string) {
    super(`conversation snapshot: ${message}`);
    this.name = 'SnapshotError';
  }
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SnapshotError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new SnapshotError(`${what} is not a string`);
  return value;
}

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new SnapshotError(`${what} is not an integer`);
  return value;
}

function nullable<T>(value: unknown, what: string, item: (value: unknown, what: string) => T): T | null {
  return value === null ? null : item(value, what);
}

function array<T>(value: unknown, what: string, item: (value: unknown, what: string) => T): T[] {
  if (!Array.isArray(value)) throw new SnapshotError(`${what} is not an array`);
  return value.map((element: unknown) => item(element, what));
}

function tuple(value: unknown, what: string, length: number): unknown[] {
  if (!Array.isArray(value) || value.length !== length) throw new SnapshotError(`${what} entry is not a ${length}-tuple`);
  return value;
}
