import { directConversationId, domainEventSchema, parseWith, type CommandMetadata, type CommandOf, type EventOf } from '@chat/contracts';
import { conversationDecider, type ConversationEvent, type ConversationState } from '../conversation.decider';
import { serializeConversationState } from '../conversation.snapshot';
import type { DecisionContext } from '../decider';
import { deciderSpecification } from './decider-specification';

/** Commands and events for conversation specs, with defaults so each test states only what it is about. */

export const NOW = new Date('2024-05-01T10:00:00.000Z');
export const SENT_AT = NOW.toISOString();

export const alice = '507f1f77bcf86cd799439021';
export const bob = '507f1f77bcf86cd799439022';
export const carol = '507f1f77bcf86cd799439023';
export const dave = '507f1f77bcf86cd799439024';

export const direct = directConversationId(alice, bob);
export const group = '6650a1b2c3d4e5f6a7b8c9d0';

/** The n-th message id: distinct, ordered, valid ObjectIds. */
export function mid(n: number): string {
  return `64${n.toString(16).padStart(22, '0')}`;
}

/** Decided events must read back, unchanged, through the contract's event schema. */
export function expectContractEvent(event: unknown): void {
  expect(parseWith(domainEventSchema, event)).toEqual({ success: true, data: event });
}

/** Urls on this host stand for files the media service issued; any other url is foreign. */
export const ISSUED_MEDIA_HOST = 'https://cdn.example.com/';

export const CONTEXT: DecisionContext = { now: NOW, mediaUrlAllowed: (url) => url.startsWith(ISSUED_MEDIA_HOST) };

export const spec = deciderSpecification(conversationDecider, {
  context: CONTEXT,
  fingerprint: serializeConversationState,
  checkEvent: expectContractEvent,
});

export function fold(events: readonly ConversationEvent[]): ConversationState {
  return events.reduce(conversationDecider.evolve, conversationDecider.initialState());
}

// ---------------------------------------------------------------- commands

function envelope(userId: string) {
  const metadata: CommandMetadata = {
    userId,
    gatewayId: 'gateway-1',
    socketId: 'AbCdEfGhIjKlMnOpQrSt',
    correlationId: '2f0c8b1e-3b7a-4c1e-9a57-0d7c3f2a1b90',
    issuedAt: SENT_AT,
  };
  return { version: 1 as const, commandId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84', metadata };
}

type SendData = CommandOf<'SendMessage'>['data'];

export function send(
  by: string,
  conversationId: string,
  messageId: string,
  content: Partial<Omit<SendData, 'conversationId' | 'messageId'>> = {},
): CommandOf<'SendMessage'> {
  return {
    ...envelope(by),
    type: 'SendMessage',
    data: {
      conversationId,
      messageId,
      senderId: by,
      text: 'hello',
      media: [],
      messageType: 'text',
      replyTo: null,
      clientMessageId: null,
      ...content,
    },
  };
}

export function deleteMessage(by: string, conversationId: string, messageId: string): CommandOf<'DeleteMessage'> {
  return { ...envelope(by), type: 'DeleteMessage', data: { conversationId, messageId } };
}

export function markRead(by: string, conversationId: string, messageIds: string[], readerId = by): CommandOf<'MarkMessagesRead'> {
  return { ...envelope(by), type: 'MarkMessagesRead', data: { conversationId, readerId, messageIds } };
}

export function markDelivered(
  recipientId: string,
  conversationId: string,
  messageIds: string[],
  by = recipientId,
): CommandOf<'MarkMessageDelivered'> {
  return { ...envelope(by), type: 'MarkMessageDelivered', data: { conversationId, messageIds, recipientId } };
}

export function createDirect(
  creatorId: string,
  otherUserId: string,
  conversationId = directConversationId(creatorId, otherUserId),
  by = creatorId,
): CommandOf<'CreateDirectConversation'> {
  return { ...envelope(by), type: 'CreateDirectConversation', data: { conversationId, creatorId, otherUserId } };
}

export function createGroup(
  creatorId: string,
  participantIds: string[],
  { conversationId = group, name = 'Team' as string | null, by = creatorId } = {},
): CommandOf<'CreateGroupConversation'> {
  return { ...envelope(by), type: 'CreateGroupConversation', data: { conversationId, creatorId, name, participantIds } };
}

export function addParticipants(by: string, userIds: string[], conversationId = group): CommandOf<'AddParticipants'> {
  return { ...envelope(by), type: 'AddParticipants', data: { conversationId, userIds } };
}

export function removeParticipant(by: string, userId: string, conversationId = group): CommandOf<'RemoveParticipant'> {
  return { ...envelope(by), type: 'RemoveParticipant', data: { conversationId, userId } };
}

export function setPhoto(by: string, groupImage: string, conversationId = group): CommandOf<'SetGroupPhoto'> {
  return { ...envelope(by), type: 'SetGroupPhoto', data: { conversationId, groupImage } };
}

export function removePhoto(by: string, conversationId = group): CommandOf<'RemoveGroupPhoto'> {
  return { ...envelope(by), type: 'RemoveGroupPhoto', data: { conversationId } };
}

export function block(
  userId: string,
  blockedUserId: string,
  { conversationId = directConversationId(userId, blockedUserId), by = userId } = {},
): CommandOf<'BlockUser'> {
  return { ...envelope(by), type: 'BlockUser', data: { conversationId, userId, blockedUserId } };
}

export function unblock(
  userId: string,
  blockedUserId: string,
  { conversationId = directConversationId(userId, blockedUserId), by = userId } = {},
): CommandOf<'UnblockUser'> {
  return { ...envelope(by), type: 'UnblockUser', data: { conversationId, userId, blockedUserId } };
}

// ---------------------------------------------------------------- events

export function directCreated(creator = alice, other = bob): EventOf<'DirectConversationCreated'> {
  return {
    type: 'DirectConversationCreated',
    version: 1,
    data: {
      conversationId: directConversationId(creator, other),
      participantIds: [creator, other],
      createdBy: creator,
      createdAt: SENT_AT,
    },
  };
}

export function groupCreated(
  participantIds: string[] = [alice, bob, carol],
  { conversationId = group, name = 'Team' as string | null, admins = [participantIds[0] ?? alice] } = {},
): EventOf<'GroupConversationCreated'> {
  const createdBy = admins[0] ?? alice;
  return {
    type: 'GroupConversationCreated',
    version: 1,
    data: { conversationId, name, participantIds, adminIds: admins, createdBy, createdAt: SENT_AT },
  };
}

type SentData = EventOf<'MessageSent'>['data'];

export function sent(
  conversationId: string,
  messageId: string,
  senderId: string,
  content: Partial<Omit<SentData, 'conversationId' | 'messageId' | 'senderId'>> = {},
): EventOf<'MessageSent'> {
  return {
    type: 'MessageSent',
    version: 1,
    data: {
      conversationId,
      messageId,
      senderId,
      text: 'hello',
      media: [],
      messageType: 'text',
      replyTo: null,
      clientMessageId: null,
      sentAt: SENT_AT,
      ...content,
    },
  };
}

export function messageDeleted(conversationId: string, messageId: string, deletedBy: string): EventOf<'MessageDeleted'> {
  return { type: 'MessageDeleted', version: 1, data: { conversationId, messageId, deletedBy } };
}

export function messagesRead(conversationId: string, readerId: string, messageIds: string[]): EventOf<'MessagesRead'> {
  return { type: 'MessagesRead', version: 1, data: { conversationId, readerId, messageIds } };
}

export function messageDelivered(conversationId: string, recipientId: string, messageIds: string[]): EventOf<'MessageDelivered'> {
  return { type: 'MessageDelivered', version: 1, data: { conversationId, messageIds, recipientId } };
}

export function participantsAdded(userIds: string[], addedBy = alice, conversationId = group): EventOf<'ParticipantsAdded'> {
  return { type: 'ParticipantsAdded', version: 1, data: { conversationId, userIds, addedBy } };
}

export function participantRemoved(userId: string, removedBy = alice, conversationId = group): EventOf<'ParticipantRemoved'> {
  return { type: 'ParticipantRemoved', version: 1, data: { conversationId, userId, removedBy } };
}

export function photoUpdated(groupImage: string, updatedBy = alice, conversationId = group): EventOf<'GroupPhotoUpdated'> {
  return { type: 'GroupPhotoUpdated', version: 1, data: { conversationId, groupImage, updatedBy } };
}

export function photoRemoved(removedBy = alice, conversationId = group): EventOf<'GroupPhotoRemoved'> {
  return { type: 'GroupPhotoRemoved', version: 1, data: { conversationId, removedBy } };
}

export function blocked(userId: string, blockedUserId: string): EventOf<'UserBlocked'> {
  return { type: 'UserBlocked', version: 1, data: { conversationId: directConversationId(userId, blockedUserId), userId, blockedUserId } };
}

export function unblocked(userId: string, blockedUserId: string): EventOf<'UserUnblocked'> {
  return { type: 'UserUnblocked', version: 1, data: { conversationId: directConversationId(userId, blockedUserId), userId, blockedUserId } };
}
