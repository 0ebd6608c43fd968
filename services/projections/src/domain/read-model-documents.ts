import type { DomainEvent, EventMetadata, MessageStatus, MessageType, StoredMediaItem, UserView } from '@chat/contracts';
import type { SeqRanges } from './seq-ranges';

/**
 * The read models' documents. Each is shaped for the queries it answers, so that every read
 * is a lookup by `_id` (see docs/architecture.md, "Read models"):
 *
 *   users          `<userId>`                  who they are, whom they block
 *   conversations  `<conversationId>`          members, name, photo, counters, last message, undelivered messages
 *   messages       `<messageId>`               where a message sits (conversation, seq), its sender, the replies quoting it
 *   timeline       `<conversationId>:<page>`   TIMELINE_PAGE_SIZE messages in a row, as the API shows them
 *   inboxes        `<userId>`                  per conversation of the user: member or not, unread count, the
 *                                              version of the conversation's view
 *   reads          `<userId>:<conversationId>` the seqs the user read there (for deletions' unread counts)
 *   contacts       `<userId>`                  everyone sharing a conversation with the user, with how many
 *
 * Every document carries `position`: the position (see position-keys.ts) of the last event
 * that changed it. That is the guard that makes redelivery harmless: an event at or below a
 * document's position is already in it.
 *
 * Everything here is plain JSON (dates as ISO strings): storage keeps each document's body
 * as one JSON string (read-model-codec.ts).
 */

/** Messages per timeline page: a history page of 50 reads at most three pages. */
export const TIMELINE_PAGE_SIZE = 25;

/** The timeline page holding message number `seq` (1, 2, 3…) of a conversation. */
export function timelinePageOf(seq: number): number {
  return Math.floor((seq - 1) / TIMELINE_PAGE_SIZE);
}

export function timelinePageId(conversationId: string, page: number): string {
  return `${conversationId}:${page}`;
}

export interface UserDoc {
  _id: string;
  name: string;
  /** null for none; views show '' (contracts' userView). */
  profileImage: string | null;
  /**
   * False for a user known only from a block recorded before their registration was
   * projected (streams are ordered only within themselves). Queries treat it as unknown.
   */
  registered: boolean;
  /** Users this user blocked, in the order they were blocked. */
  blocks: string[];
  position: string;
}

/** What the spec's `replyTo` shows: the quoted message's id, text ('' when none or deleted) and sender. */
export interface ReplyQuote {
  _id: string;
  text: string;
  senderId: UserView;
}

/**
 * A message as a timeline page keeps it, and as a conversation embeds its last one (both
 * evolved by one function, messages.projection.ts, so they never disagree).
 */
export interface MessageState {
  _id: string;
  conversationId: string;
  /** 1, 2, 3… in conversation order: the write side's message index plus one. History pages by it. */
  seq: number;
  /** Populated when the message was projected: user names and images never change after registration. */
  sender: UserView;
  text: string | null;
  media: StoredMediaItem[];
  messageType: MessageType;
  replyTo: ReplyQuote | null;
  /** `read` once anyone but its sender read it, else `delivered` once delivered, else `sent`. */
  status: MessageStatus;
  /** Reached a recipient (a late delivery of a message already read keeps `read`). */
  delivered: boolean;
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationDoc {
  _id: string;
  type: 'direct' | 'group';
  name: string | null;
  groupImage: string | null;
  /** Current members, in the order they joined. */
  participantIds: string[];
  admins: string[];
  createdBy: string;
  /**
   * Everyone who has an inbox entry for it: current and former members. The write side keeps
   * a member's read state after they leave and counts what was sent meanwhile as unread when
   * they return, so their unread count keeps counting too.
   */
  readerIds: string[];
  /** Messages ever sent: the last message's `seq`. */
  messageCount: number;
  /** Messages not deleted: a new member's unread count (history counts as unread, as on the write side). */
  liveMessageCount: number;
  lastMessage: MessageState | null;
  /**
   * Messages that reached no recipient yet, not deleted, by sender: what waits for a member to
   * connect (everyone else's). Per sender, so a member's own messages stay out of what waits for them.
   */
  undelivered: Record<string, SeqRanges>;
  /**
   * The position of the last event that changed what the conversation shows (its view: members,
   * name, photo, last message, times), as its members' inbox entries name it. Bookkeeping
   * (counters, undelivered messages) leaves it alone.
   */
  viewPosition: string;
  /** Creation, then each message's time: "most recent activity first". */
  lastActivityAt: string;
  createdAt: string;
  updatedAt: string;
  position: string;
}

/** Where a message sits, and what a deletion of it must reach. Written when it is sent. */
export interface MessageIndexDoc {
  /** The message id. */
  _id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  /** The `seq`s of the messages quoting this one (a deletion blanks their quotes). */
  replies: number[];
  position: string;
}

/** One page of a conversation's history: messages `page * SIZE + 1` to `(page + 1) * SIZE`, in order. */
export interface TimelinePageDoc {
  /** `<conversationId>:<page>` (timelinePageId). */
  _id: string;
  conversationId: string;
  page: number;
  messages: MessageState[];
  position: string;
}

/** A user's standing in one conversation. */
export interface InboxEntry {
  /** A current member (listed); a former member's entry keeps counting for when they return. */
  member: boolean;
  /**
   * The conversation's `viewPosition` when this entry was last brought in line with it: a
   * reader that holds the conversation with this view position or a later one shows it fresh.
   */
  version: string;
  /** Messages from others not read by this user and not deleted (the view's `unreadCount`). */
  unread: number;
}

export interface InboxDoc {
  /** The user id. */
  _id: string;
  /** By conversation id. */
  conversations: Record<string, InboxEntry>;
  position: string;
}

/**
 * What one user read of one conversation: only the events it is about read it (the user's
 * reads, a deletion), never a query, so however fragmented it gets, no list or page pays for it.
 */
export interface ReadStateDoc {
  /** `<userId>:<conversationId>` (readStateId). */
  _id: string;
  /** The seqs this user read. */
  read: SeqRanges;
  position: string;
}

export function readStateId(userId: string, conversationId: string): string {
  return `${userId}:${conversationId}`;
}

/** Whom a user's presence is announced to. */
export interface ContactsDoc {
  /** The user id. */
  _id: string;
  /** Everyone sharing at least one conversation with the user, with how many they share. */
  shared: Record<string, number>;
  position: string;
}

/** An event as the projections see it: parsed (and upcast), with where and when it was recorded. */
export interface ProjectedEvent<E extends DomainEvent = DomainEvent> {
  /** The event's id in the store: the root of the notifications' dedupe keys. */
  readonly id: string;
  /** Its global position as a position key (position-keys.ts). */
  readonly position: string;
  readonly metadata: EventMetadata;
  readonly event: E;
}

/** What every evolve function gets besides the document and the event. */
export interface ProjectionContext {
  /** The event's position key: what a changed document records as its `position`. */
  readonly position: string;
  /**
   * When the event was decided (its metadata's `occurredAt`, as an ISO string): the clock that
   * also stamped `sentAt` and `createdAt`, so a message's `updatedAt` never precedes its
   * `createdAt` because two clocks disagree.
   */
  readonly at: string;
}

export function contextOf(projected: ProjectedEvent): ProjectionContext {
  return { position: projected.position, at: isoTime(projected.metadata.occurredAt) };
}

const ISO_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An event's ISO time in the one form documents keep (`toISOString`), so times compare as strings. */
export function isoTime(value: string): string {
  // Nearly every time is written in that form already; only others are parsed again.
  return ISO_FORM.test(value) ? value : new Date(value).toISOString();
}

/** The later of two ISO times. */
export function laterTime(a: string, b: string): string {
  return b > a ? b : a;
}
