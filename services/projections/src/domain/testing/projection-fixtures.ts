import {
  directConversationId,
  type DomainEvent,
  type EventMetadata,
  type EventOf,
  type StoredMediaItem,
} from '@chat/contracts';
import { type AppliedEvent, projectEvents } from '../batch-projection';
import { ReadModelDocuments } from '../document-set';
import { positionKey } from '../position-keys';
import { type MessageState, type ProjectedEvent, type ProjectionContext, timelinePageId, timelinePageOf } from '../read-model-documents';
import { messageOnPage } from '../timeline.projection';

/** Events and positions for projection specs, with defaults so each spec states only what it is about. */

export const alice = '507f1f77bcf86cd799439021';
export const bob = '507f1f77bcf86cd799439022';
export const carol = '507f1f77bcf86cd799439023';
export const dave = '507f1f77bcf86cd799439024';
export const direct = directConversationId(alice, bob);
export const group = '6650a1b2c3d4e5f6a7b8c9d0';

export const T0 = new Date('2024-05-01T10:00:00.000Z');

/** The n-th minute after T0, as the ISO string events carry. */
export function minute(n: number): string {
  return new Date(T0.getTime() + n * 60_000).toISOString();
}

/** The n-th message id: distinct, ordered, valid ObjectIds. */
export function mid(n: number): string {
  return `64${n.toString(16).padStart(22, '0')}`;
}

/** Position keys in a store where each transaction holds one event. */
export function pos(n: number): string {
  return positionKey({ commit: BigInt(n), prepare: BigInt(n) });
}

export function context(n: number, at = minute(n)): ProjectionContext {
  return { position: pos(n), at: new Date(at).toISOString() };
}

export function metadata(userId: string, n: number, extra: Partial<EventMetadata> = {}): EventMetadata {
  return {
    commandId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84',
    correlationId: '2f0c8b1e-3b7a-4c1e-9a57-0d7c3f2a1b90',
    causationId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84',
    userId,
    schemaVersion: 1,
    occurredAt: minute(n),
    ...extra,
  };
}

/** Wraps events as the store would deliver them: positions 1, 2, 3… (or from `first`), one minute apart. */
export function recorded(events: readonly DomainEvent[], first = 1): ProjectedEvent[] {
  return events.map((event, index) => at(first + index, event));
}

export function at(n: number, event: DomainEvent, extra: Partial<EventMetadata> = {}): ProjectedEvent {
  return {
    id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    position: pos(n),
    metadata: metadata(actorOf(event), n, extra),
    event,
  };
}

function actorOf(event: DomainEvent): string {
  switch (event.type) {
    case 'UserRegistered':
    case 'UserBlocked':
    case 'UserUnblocked':
      return event.data.userId;
    case 'DirectConversationCreated':
    case 'GroupConversationCreated':
      return event.data.createdBy;
    case 'ParticipantsAdded':
      return event.data.addedBy;
    case 'ParticipantRemoved':
      return event.data.removedBy;
    case 'MessageSent':
      return event.data.senderId;
    case 'MessageDeleted':
      return event.data.deletedBy;
    case 'MessagesRead':
      return event.data.readerId;
    case 'MessageDelivered':
      return event.data.recipientId;
    case 'GroupPhotoUpdated':
      return event.data.updatedBy;
    case 'GroupPhotoRemoved':
      return event.data.removedBy;
  }
}

/** A message as its timeline page holds it, found through its own document (as readers find it). */
export function messageOf(documents: ReadModelDocuments, messageId: string): MessageState | null {
  const index = documents.messages.get(messageId);
  if (!index) return null;
  return messageOnPage(documents.timeline.get(timelinePageId(index.conversationId, timelinePageOf(index.seq))), index.seq);
}

/** Folds events, in order, into fresh in-memory read models. */
export function fold(events: readonly ProjectedEvent[], documents = new ReadModelDocuments()): { documents: ReadModelDocuments; applied: AppliedEvent[] } {
  const applied = projectEvents(events, documents);
  return { documents, applied };
}

// ---------------------------------------------------------------- events

export function registered(userId: string, name = `User ${userId.slice(-2)}`, profileImage: string | null = null): EventOf<'UserRegistered'> {
  return { type: 'UserRegistered', version: 1, data: { userId, name, profileImage } };
}

export function blocked(userId: string, blockedUserId: string): EventOf<'UserBlocked'> {
  return { type: 'UserBlocked', version: 1, data: { conversationId: directConversationId(userId, blockedUserId), userId, blockedUserId } };
}

export function unblocked(userId: string, blockedUserId: string): EventOf<'UserUnblocked'> {
  return { type: 'UserUnblocked', version: 1, data: { conversationId: directConversationId(userId, blockedUserId), userId, blockedUserId } };
}

export function directCreated(creator = alice, other = bob, createdAt = minute(0)): EventOf<'DirectConversationCreated'> {
  return {
    type: 'DirectConversationCreated',
    version: 1,
    data: { conversationId: directConversationId(creator, other), participantIds: [creator, other], createdBy: creator, createdAt },
  };
}

export function groupCreated(
  participantIds: string[] = [alice, bob, carol],
  { conversationId = group, name = 'Team' as string | null, createdBy = participantIds[0] ?? alice, createdAt = minute(0) } = {},
): EventOf<'GroupConversationCreated'> {
  return {
    type: 'GroupConversationCreated',
    version: 1,
    data: { conversationId, name, participantIds, adminIds: [createdBy], createdBy, createdAt },
  };
}

export function added(userIds: string[], { conversationId = group, addedBy = alice } = {}): EventOf<'ParticipantsAdded'> {
  return { type: 'ParticipantsAdded', version: 1, data: { conversationId, userIds, addedBy } };
}

export function removed(userId: string, { conversationId = group, removedBy = userId } = {}): EventOf<'ParticipantRemoved'> {
  return { type: 'ParticipantRemoved', version: 1, data: { conversationId, userId, removedBy } };
}

export interface SentOptions {
  readonly text?: string | null;
  readonly media?: StoredMediaItem[];
  readonly messageType?: 'text' | 'image' | 'video' | 'file';
  readonly replyTo?: string | null;
  readonly sentAt?: string;
}

export function sent(senderId: string, conversationId: string, messageId: string, options: SentOptions = {}): EventOf<'MessageSent'> {
  return {
    type: 'MessageSent',
    version: 1,
    data: {
      conversationId,
      messageId,
      senderId,
      text: options.text === undefined ? `message ${messageId.slice(-3)}` : options.text,
      media: options.media ?? [],
      messageType: options.messageType ?? 'text',
      replyTo: options.replyTo ?? null,
      clientMessageId: null,
      sentAt: options.sentAt ?? minute(0),
    },
  };
}

export function deleted(deletedBy: string, conversationId: string, messageId: string): EventOf<'MessageDeleted'> {
  return { type: 'MessageDeleted', version: 1, data: { conversationId, messageId, deletedBy } };
}

export function read(readerId: string, conversationId: string, messageIds: string[]): EventOf<'MessagesRead'> {
  return { type: 'MessagesRead', version: 1, data: { conversationId, readerId, messageIds } };
}

export function delivered(recipientId: string, conversationId: string, messageIds: string[]): EventOf<'MessageDelivered'> {
  return { type: 'MessageDelivered', version: 1, data: { conversationId, messageIds, recipientId } };
}

export function photoUpdated(groupImage: string, { conversationId = group, updatedBy = alice } = {}): EventOf<'GroupPhotoUpdated'> {
  return { type: 'GroupPhotoUpdated', version: 1, data: { conversationId, groupImage, updatedBy } };
}

export function photoRemoved({ conversationId = group, removedBy = alice } = {}): EventOf<'GroupPhotoRemoved'> {
  return { type: 'GroupPhotoRemoved', version: 1, data: { conversationId, removedBy } };
}

export const image: StoredMediaItem = { url: 'https://cdn.example.com/a.jpg', type: 'image', filename: 'a.jpg', size: 1234 };

/**
 * given/when/then for projections: `given` events are folded (positions 1…n), then `when`
 * applies one more (position n+1) and answers the documents and what that event changed.
 */
export function given(...history: DomainEvent[]) {
  return {
    when(event: DomainEvent, extra: Partial<EventMetadata> = {}) {
      const { documents } = fold(recorded(history));
      const projected = at(history.length + 1, event, extra);
      const [applied] = projectEvents([projected], documents);
      if (!applied) throw new Error('no event applied');
      return { documents, projected, changes: applied.changes };
    },
  };
}

/** One event of each type, for "changes nothing it is not about" specs. */
export function oneOfEach(): DomainEvent[] {
  return [
    registered(dave),
    blocked(dave, carol),
    unblocked(dave, carol),
    directCreated(carol, dave),
    groupCreated([carol, dave], { conversationId: '6650a1b2c3d4e5f6a7b8c9ff' }),
    added([alice], { conversationId: '6650a1b2c3d4e5f6a7b8c9ff', addedBy: carol }),
    removed(dave, { conversationId: '6650a1b2c3d4e5f6a7b8c9ff' }),
    sent(carol, '6650a1b2c3d4e5f6a7b8c9ff', mid(900)),
    deleted(carol, '6650a1b2c3d4e5f6a7b8c9ff', mid(900)),
    read(dave, '6650a1b2c3d4e5f6a7b8c9ff', [mid(901)]),
    delivered(dave, '6650a1b2c3d4e5f6a7b8c9ff', [mid(901)]),
    photoUpdated('https://cdn.example.com/x.png', { conversationId: '6650a1b2c3d4e5f6a7b8c9ff', updatedBy: carol }),
    photoRemoved({ conversationId: '6650a1b2c3d4e5f6a7b8c9ff', removedBy: carol }),
  ];
}
