import { EventType } from '@chat/contracts';
import type { AllFilter, EventStore, GlobalPosition, RecordedEvent } from '@chat/runtime';

/** Documents that stop changing at one event: message ids, conversation ids (with their unread counts), user ids. */
export interface FinalDocuments {
  readonly messages: string[];
  readonly conversations: string[];
  readonly users: string[];
}

type Kind = keyof FinalDocuments;

/**
 * When each document stops changing, by a quick first pass over the store: for every
 * document, the index (in read order) of the last event that changes it or reads it.
 *   - a message: its sending, deliveries, reads and deletion, the deletion of the message it
 *     quotes (which blanks the quote), and every later reply quoting it (which reads it);
 *   - a conversation, and with it every unread count in it: its last event;
 *   - a user: registration, blocks they made, and every message they send (which reads them).
 *
 * A rebuild can then insert each document exactly once, as soon as it is final, while later
 * events are still being applied, and drop it from memory. Without this it must either hold
 * every document to the end (no overlap between applying and writing) or rewrite documents
 * that changed after being written, which FerretDB v1 makes expensive: it finds no document
 * by `_id` through an index, so every rewrite scans the collection.
 *
 * The pass reads only types and ids, without validating (the second pass validates
 * everything it projects); anything it cannot read it ignores, which only means that
 * document is written at the end instead.
 */
export class DocumentLifetimes {
  /** Event index → documents whose last change (or read) is that event. */
  private readonly finalAt = new Map<number, FinalDocuments>();

  private constructor(
    /** Events the pass read: indexes beyond this are unknown to it. */
    readonly scannedEvents: number,
    /** Position of the last event the pass read. */
    readonly end: GlobalPosition | undefined,
    lastTouch: { readonly [K in Kind]: ReadonlyMap<string, number> },
  ) {
    for (const kind of ['messages', 'conversations', 'users'] as const) {
      for (const [id, index] of lastTouch[kind]) {
        let final = this.finalAt.get(index);
        if (!final) {
          final = { messages: [], conversations: [], users: [] };
          this.finalAt.set(index, final);
        }
        final[kind].push(id);
      }
    }
  }

  /** Documents that become final with the events at indexes [from, to). */
  finalBetween(from: number, to: number): FinalDocuments {
    const final: FinalDocuments = { messages: [], conversations: [], users: [] };
    for (let index = from; index < Math.min(to, this.scannedEvents); index += 1) {
      const at = this.finalAt.get(index);
      if (!at) continue;
      final.messages.push(...at.messages);
      final.conversations.push(...at.conversations);
      final.users.push(...at.users);
    }
    return final;
  }

  static async scan(store: EventStore, filter: AllFilter, pageSize: number): Promise<DocumentLifetimes> {
    const lastTouch = { messages: new Map<string, number>(), conversations: new Map<string, number>(), users: new Map<string, number>() };
    const quotedBy = new Map<string, string[]>();
    let index = 0;
    let end: GlobalPosition | undefined;
    const touch = (kind: Kind, id: unknown): void => {
      if (typeof id === 'string') lastTouch[kind].set(id, index);
    };
    let next: Promise<RecordedEvent[]> | undefined = store.readAll({ maxCount: pageSize, filter });
    while (next) {
      const page: RecordedEvent[] = await next;
      const last = page[page.length - 1];
      next = last && page.length === pageSize ? store.readAll({ after: last.position, maxCount: pageSize, filter }) : undefined;
      next?.catch(() => undefined);
      for (const { type, data } of page) {
        const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
        switch (type) {
          case EventType.UserRegistered:
          case EventType.UserBlocked:
          case EventType.UserUnblocked:
            // Blocks sit on a pair's stream but change no conversation: only the blocker.
            touch('users', fields.userId);
            break;
          case EventType.MessageSent: {
            touch('conversations', fields.conversationId);
            touch('users', fields.senderId);
            touch('messages', fields.messageId);
            const target = fields.replyTo;
            if (typeof target === 'string' && typeof fields.messageId === 'string') {
              touch('messages', target);
              const replies = quotedBy.get(target);
              if (replies) replies.push(fields.messageId);
              else quotedBy.set(target, [fields.messageId]);
            }
            break;
          }
          case EventType.MessageDeleted:
            touch('conversations', fields.conversationId);
            touch('messages', fields.messageId);
            if (typeof fields.messageId === 'string') for (const reply of quotedBy.get(fields.messageId) ?? []) touch('messages', reply);
            break;
          case EventType.MessagesRead:
          case EventType.MessageDelivered:
            touch('conversations', fields.conversationId);
            if (Array.isArray(fields.messageIds)) for (const messageId of fields.messageIds) touch('messages', messageId);
            break;
          default:
            touch('conversations', fields.conversationId);
            break;
        }
        index += 1;
      }
      if (last) end = last.position;
    }
    return new DocumentLifetimes(index, end, lastTouch);
  }
}
