import { EventType } from '@chat/contracts';
import type { AllFilter, EventStore, GlobalPosition, RecordedEvent } from '@chat/runtime';
import { type ReadModelKey, readModelKeys } from '../domain/document-set';
import { readStateId, timelinePageId, timelinePageOf } from '../domain/read-model-documents';

/** Documents that stop changing at one event, per read model. */
export type FinalDocuments = { readonly [K in ReadModelKey]: string[] };

export function noFinalDocuments(): FinalDocuments {
  return Object.fromEntries(readModelKeys.map((model) => [model, []])) as unknown as FinalDocuments;
}

/**
 * When each document stops changing, by a quick first pass over the store: for every
 * document, the index (in read order) of the last event that changes it or reads it. It
 * follows what batch-projection.ts touches:
 *   - a user: registration, blocks they made, and every message they send (which reads them);
 *   - a conversation: its every event;
 *   - a message's document: its sending, every reply quoting it, its deletion, reads and deliveries;
 *   - a timeline page: every event about a message on it (a reply also reads the quoted
 *     message's page, a deletion also changes the pages of the replies quoting it);
 *   - an inbox: every event of every conversation its user is or was a member of;
 *   - what a user read of a conversation: their reads there, and every deletion there;
 *   - contacts: every membership change of the conversations the user was ever in.
 *
 * A rebuild can then insert each document exactly once, as soon as it is final, while later
 * events are still being applied, and drop it from memory. Without this it must either hold
 * every document to the end (no overlap between applying and writing) or rewrite documents
 * that changed after being written.
 *
 * The pass reads only types and ids, without validating (the second pass validates
 * everything it projects), and follows membership more generously than the projections do
 * (everyone ever in a conversation counts as in it, whatever an event claims): a document it
 * thinks touched later than it is is only written later, and one it misses is rewritten at
 * the end (ReplayCache).
 */
export class DocumentLifetimes {
  /** Event index → documents whose last change (or read) is that event. */
  private readonly finalAt = new Map<number, { [K in ReadModelKey]: string[] }>();

  private constructor(
    /** Events the pass read: indexes beyond this are unknown to it. */
    readonly scannedEvents: number,
    /** Position of the last event the pass read. */
    readonly end: GlobalPosition | undefined,
    lastTouch: { readonly [K in ReadModelKey]: ReadonlyMap<string, number> },
  ) {
    for (const model of readModelKeys) {
      for (const [id, index] of lastTouch[model]) {
        let final = this.finalAt.get(index);
        if (!final) {
          final = noFinalDocuments();
          this.finalAt.set(index, final);
        }
        final[model].push(id);
      }
    }
  }

  /** Documents that become final with the events at indexes [from, to). */
  finalBetween(from: number, to: number): FinalDocuments {
    const final = noFinalDocuments();
    for (let index = from; index < Math.min(to, this.scannedEvents); index += 1) {
      const at = this.finalAt.get(index);
      if (!at) continue;
      for (const model of readModelKeys) final[model].push(...at[model]);
    }
    return final;
  }

  static async scan(store: EventStore, filter: AllFilter, pageSize: number): Promise<DocumentLifetimes> {
    const lastTouch = Object.fromEntries(readModelKeys.map((model) => [model, new Map<string, number>()])) as unknown as {
      [K in ReadModelKey]: Map<string, number>;
    };
    const conversations = new Map<string, { count: number; readers: Set<string>; last: number; lastMembership: number }>();
    const messages = new Map<string, { conversationId: string; seq: number; replies: number[] }>();
    let index = 0;
    let end: GlobalPosition | undefined;
    const touch = (model: ReadModelKey, id: unknown): void => {
      if (typeof id === 'string') lastTouch[model].set(id, index);
    };
    const conversationOf = (id: string) => {
      let conversation = conversations.get(id);
      if (!conversation) {
        conversation = { count: 0, readers: new Set(), last: 0, lastMembership: 0 };
        conversations.set(id, conversation);
      }
      return conversation;
    };
    const touchPage = (conversationId: string, seq: number | undefined): void => {
      if (seq !== undefined) touch('timeline', timelinePageId(conversationId, timelinePageOf(seq)));
    };
    const messageIn = (conversationId: string, id: unknown) => {
      const message = typeof id === 'string' ? messages.get(id) : undefined;
      return message?.conversationId === conversationId ? message : undefined;
    };

    let next: Promise<RecordedEvent[]> | undefined = store.readAll({ maxCount: pageSize, filter });
    while (next) {
      const page: RecordedEvent[] = await next;
      const last = page[page.length - 1];
      next = last && page.length === pageSize ? store.readAll({ after: last.position, maxCount: pageSize, filter }) : undefined;
      next?.catch(() => undefined);
      for (const { type, data } of page) {
        const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
        const ids = (value: unknown): string[] => (Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : []);
        const conversationId = typeof fields.conversationId === 'string' ? fields.conversationId : undefined;
        switch (type) {
          case EventType.UserRegistered:
          case EventType.UserBlocked:
          case EventType.UserUnblocked:
            // Blocks sit on a pair's stream but change no conversation: only the blocker.
            touch('users', fields.userId);
            break;
          default: {
            if (conversationId === undefined) break;
            const conversation = conversationOf(conversationId);
            touch('conversations', conversationId);
            switch (type) {
              case EventType.DirectConversationCreated:
              case EventType.GroupConversationCreated:
              case EventType.ParticipantsAdded:
                for (const userId of ids(type === EventType.ParticipantsAdded ? fields.userIds : fields.participantIds)) conversation.readers.add(userId);
                conversation.lastMembership = index;
                break;
              case EventType.ParticipantRemoved:
                conversation.lastMembership = index;
                break;
              case EventType.MessageSent: {
                if (typeof fields.messageId !== 'string') break;
                conversation.count += 1;
                const seq = conversation.count;
                messages.set(fields.messageId, { conversationId, seq, replies: [] });
                touch('users', fields.senderId);
                touch('messages', fields.messageId);
                touchPage(conversationId, seq);
                const quoted = messageIn(conversationId, fields.replyTo);
                if (quoted) {
                  quoted.replies.push(seq);
                  touch('messages', fields.replyTo);
                  touchPage(conversationId, quoted.seq);
                }
                break;
              }
              case EventType.MessageDeleted: {
                const message = messageIn(conversationId, fields.messageId);
                for (const userId of conversation.readers) touch('reads', readStateId(userId, conversationId));
                touch('messages', fields.messageId);
                touchPage(conversationId, message?.seq);
                for (const seq of message?.replies ?? []) touchPage(conversationId, seq);
                break;
              }
              case EventType.MessagesRead:
              case EventType.MessageDelivered:
                if (type === EventType.MessagesRead && typeof fields.readerId === 'string') touch('reads', readStateId(fields.readerId, conversationId));
                for (const messageId of ids(fields.messageIds)) {
                  touch('messages', messageId);
                  touchPage(conversationId, messageIn(conversationId, messageId)?.seq);
                }
                break;
              default:
                break;
            }
            conversation.last = index;
            break;
          }
        }
        index += 1;
      }
      if (last) end = last.position;
    }
    // Every event of a conversation reaches the inboxes of its readers, and every membership
    // change the contacts of its members; readers never leave, so a user's inbox is final
    // with the last event of the last of their conversations, and their contacts with the
    // last membership change of any conversation they were ever in.
    for (const conversation of conversations.values()) {
      for (const userId of conversation.readers) {
        if ((lastTouch.inboxes.get(userId) ?? -1) < conversation.last) lastTouch.inboxes.set(userId, conversation.last);
        if ((lastTouch.contacts.get(userId) ?? -1) < conversation.lastMembership) lastTouch.contacts.set(userId, conversation.lastMembership);
      }
    }
    return new DocumentLifetimes(index, end, lastTouch);
  }
}
