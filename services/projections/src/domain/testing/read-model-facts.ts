import { undeliveredFromOthers } from '../conversations.projection';
import type { ReadModelDocTypes, ReadModelKey } from '../document-set';
import { type MessageState, readStateId, timelinePageId, timelinePageOf } from '../read-model-documents';
import { hasSeq, seqsOf } from '../seq-ranges';
import { messageOnPage } from '../timeline.projection';
import type { ScenarioExpectations } from './chat-scenario';

/** Every document of every read model, however a test holds them. */
export type AllDocuments = { readonly [K in ReadModelKey]: Iterable<ReadModelDocTypes[K]> };

/**
 * What a set of read models says, in the shape a scenario's model answers (chat-scenario.ts
 * `expected()`), so a test compares the two with one `toEqual` per fact: unread counts, each
 * message's status, readers and deletion, members, blocks, contacts and pending deliveries.
 * Built from the documents alone, the way readers would find things.
 */
export function readModelFacts(all: AllDocuments, expected: ScenarioExpectations): ScenarioExpectations {
  const byId = <K extends ReadModelKey>(model: K) => new Map([...all[model]].map((doc) => [doc._id, doc] as const));
  const users = byId('users');
  const conversations = byId('conversations');
  const timeline = byId('timeline');
  const inboxes = byId('inboxes');
  const contactsDocs = byId('contacts');
  const reads = byId('reads');
  const messageAt = (conversationId: string, seq: number): MessageState | null =>
    messageOnPage(timeline.get(timelinePageId(conversationId, timelinePageOf(seq))) ?? null, seq);

  const unread = new Map<string, number>();
  for (const inbox of inboxes.values()) {
    for (const [conversationId, entry] of Object.entries(inbox.conversations)) unread.set(`${inbox._id}:${conversationId}`, entry.unread);
  }

  const messages: ScenarioExpectations['messages'] = new Map();
  for (const index of all.messages) {
    const state = messageAt(index.conversationId, index.seq);
    const readBy = [...inboxes.values()]
      .filter((inbox) => hasSeq(reads.get(readStateId(inbox._id, index.conversationId))?.read ?? [], index.seq))
      .map((inbox) => inbox._id);
    messages.set(index._id, {
      status: state?.status ?? 'sent',
      readBy,
      deleted: state?.deleted ?? false,
      conversationId: index.conversationId,
    });
  }

  const members = new Map([...conversations.values()].map((doc) => [doc._id, doc.participantIds]));

  const blocks = new Map<string, string[]>();
  for (const userId of expected.blocks.keys()) blocks.set(userId, users.get(userId)?.blocks ?? []);

  const contacts = new Map<string, string[]>();
  for (const userId of expected.contacts.keys()) contacts.set(userId, Object.keys(contactsDocs.get(userId)?.shared ?? {}).sort());

  const pending = new Map<string, Map<string, string[]>>();
  for (const userId of expected.pending.keys()) {
    const waiting = new Map<string, string[]>();
    for (const [conversationId, entry] of Object.entries(inboxes.get(userId)?.conversations ?? {})) {
      if (!entry.member) continue;
      const pending = undeliveredFromOthers(conversations.get(conversationId) ?? null, userId);
      const ids = [...seqsOf(pending)].map((seq) => messageAt(conversationId, seq)?._id ?? `missing seq ${seq}`);
      if (ids.length > 0) waiting.set(conversationId, ids);
    }
    pending.set(userId, waiting);
  }

  return { unread, messages, members, blocks, contacts, pending };
}

/** A scenario's expectations with each message's readers sorted, as readModelFacts gives them in no set order. */
export function sortedReaders(facts: ScenarioExpectations): ScenarioExpectations {
  const messages: ScenarioExpectations['messages'] = new Map(
    [...facts.messages].map(([id, message]) => [id, { ...message, readBy: [...message.readBy].sort() }]),
  );
  return { ...facts, messages };
}

/** `facts` narrowed to what `expected` speaks of: a store shared with other tests holds more. */
export function restrictedTo(facts: ScenarioExpectations, expected: ScenarioExpectations): ScenarioExpectations {
  const only = <V>(map: ReadonlyMap<string, V>, keys: ReadonlyMap<string, unknown>) => new Map([...map].filter(([key]) => keys.has(key)));
  return {
    unread: only(facts.unread, expected.unread),
    messages: only(facts.messages, expected.messages),
    members: only(facts.members, expected.members),
    blocks: only(facts.blocks, expected.blocks),
    contacts: only(facts.contacts, expected.contacts),
    pending: only(facts.pending, expected.pending),
  };
}
