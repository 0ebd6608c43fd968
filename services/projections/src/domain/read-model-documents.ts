import type { DomainEvent, EventMetadata, MessageStatus, MessageType, StoredMediaItem, UserView } from '@chat/contracts';

/**
 * The read models' documents, as stored in MongoDB. Every document carries `position`: the
 * position (see position-keys.ts) of the last event that changed it. That is the guard that
 * makes redelivery harmless: an event at or below a document's position is already in it.
 *
 * Shapes are kept lean on purpose: FerretDB's cost per stored document grows with its number
 * of fields (about 4 µs per field on the SQLite backend), and replay throughput is bounded
 * by it. Nothing here is stored that no query or notification reads.
 */

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
 * A message without its guard position: what a message document holds, and what a
 * conversation embeds as its last message (evolved by the same function, see
 * messages.projection.ts, so the two never disagree).
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
  status: MessageStatus;
  /** Who read it (never its sender): per-user read state, as the write side keeps it. */
  readBy: string[];
  deliveredAt: Date | null;
  deleted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface MessageDoc extends MessageState {
  position: string;
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
   * Everyone who has a read state here: current and former members. The write side keeps a
   * member's read state after they leave and counts what was sent meanwhile as unread when
   * they return, so their unread count keeps counting too.
   */
  readerIds: string[];
  /** Messages ever sent: the last message's `seq`. */
  messageCount: number;
  /** Messages not deleted: a new member's unread count (history counts as unread, as on the write side). */
  liveMessageCount: number;
  lastMessage: MessageState | null;
  /** Creation, then each message's time: "most recent activity first". */
  lastActivityAt: Date;
  createdAt: Date;
  updatedAt: Date;
  position: string;
}

/** Unread messages of one user in one conversation: the Conversation view's `unreadCount`. */
export interface UnreadCountDoc {
  /** `<userId>:<conversationId>`: a user's counts are one key range, so no second index is needed. */
  _id: string;
  userId: string;
  conversationId: string;
  count: number;
  position: string;
}

export function unreadCountId(userId: string, conversationId: string): string {
  return `${userId}:${conversationId}`;
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
   * When the event was decided (its metadata's `occurredAt`): the clock that also stamped
   * `sentAt` and `createdAt`, so a message's `updatedAt` never precedes its `createdAt`
   * because two clocks disagree.
   */
  readonly at: Date;
}

export function contextOf(projected: ProjectedEvent): ProjectionContext {
  return { position: projected.position, at: new Date(projected.metadata.occurredAt) };
}
