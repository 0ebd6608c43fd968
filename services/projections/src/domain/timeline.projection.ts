import type { DomainEvent } from '@chat/contracts';
import { evolveMessageState, type MessageSentContext, sentMessageState } from './messages.projection';
import {
  type MessageState,
  type ProjectionContext,
  TIMELINE_PAGE_SIZE,
  type TimelinePageDoc,
  timelinePageId,
  timelinePageOf,
} from './read-model-documents';

/**
 * The timeline: each conversation's messages in pages of TIMELINE_PAGE_SIZE, in the order
 * sent. A history page is then two or three documents, whatever the conversation's length;
 * the page of a message is found through its own document (message-index.projection.ts).
 *
 * A page changes when a message is appended to it, and when one of its messages is deleted,
 * read or delivered, or a message it quotes is deleted.
 */

export interface TimelineContext extends ProjectionContext {
  /** The page this evolution is for. */
  readonly conversationId: string;
  readonly page: number;
  /** MessageSent: the new message's sender, quote and place. */
  readonly sent?: MessageSentContext;
  /**
   * MessageDeleted, MessagesRead, MessageDelivered: the places (`seq`) of the messages on this
   * page the event concerns: those it names and, for a deletion, the replies quoting it.
   */
  readonly seqs?: readonly number[];
}

export function evolveTimelinePage(doc: TimelinePageDoc | null, event: DomainEvent, context: TimelineContext): TimelinePageDoc | null {
  switch (event.type) {
    case 'MessageSent': {
      const sent = context.sent;
      if (!sent || timelinePageOf(sent.seq) !== context.page || event.data.conversationId !== context.conversationId) return doc;
      const messages = doc?.messages ?? [];
      if (messages.some((message) => message.seq === sent.seq)) return doc;
      const message = sentMessageState(event, sent);
      const after = [...messages, message].sort((a, b) => a.seq - b.seq);
      return { ...(doc ?? emptyPage(context)), messages: after, position: context.position };
    }
    case 'MessageDeleted':
    case 'MessagesRead':
    case 'MessageDelivered': {
      if (doc === null || event.data.conversationId !== doc.conversationId) return doc;
      let messages: MessageState[] | undefined;
      for (const seq of context.seqs ?? []) {
        const index = indexOnPage(doc, seq);
        const message = doc.messages[index];
        if (!message) continue;
        const next = evolveMessageState(message, event, context);
        if (next === message) continue;
        messages ??= [...doc.messages];
        messages[index] = next;
      }
      return messages ? { ...doc, messages, position: context.position } : doc;
    }
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
    case 'ParticipantsAdded':
    case 'ParticipantRemoved':
    case 'GroupPhotoUpdated':
    case 'GroupPhotoRemoved':
      return doc;
  }
}

function emptyPage(context: TimelineContext): TimelinePageDoc {
  return {
    _id: timelinePageId(context.conversationId, context.page),
    conversationId: context.conversationId,
    page: context.page,
    messages: [],
    position: context.position,
  };
}

/** The message numbered `seq` on its page, if the page holds it. */
export function messageOnPage(doc: TimelinePageDoc | null, seq: number): MessageState | null {
  return doc === null ? null : (doc.messages[indexOnPage(doc, seq)] ?? null);
}

/** Where message `seq` is in the page's list (-1: not there). Pages fill in order, so almost always at its offset. */
function indexOnPage(doc: TimelinePageDoc, seq: number): number {
  const index = seq - doc.page * TIMELINE_PAGE_SIZE - 1;
  if (doc.messages[index]?.seq === seq) return index;
  return doc.messages.findIndex((message) => message.seq === seq);
}

/** The pages holding messages `from` to `to` (inclusive), oldest first. */
export function timelinePagesBetween(from: number, to: number): number[] {
  if (to < from || to < 1) return [];
  const pages: number[] = [];
  for (let page = timelinePageOf(Math.max(1, from)); page <= timelinePageOf(to); page++) pages.push(page);
  return pages;
}
