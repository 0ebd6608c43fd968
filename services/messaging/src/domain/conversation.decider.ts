import {
  directConversationId,
  ErrorMessage,
  MESSAGE_MEDIA_MAX,
  MESSAGE_TEXT_MAX_CHARS,
  READ_BATCH_MAX,
  toObjectId,
  type CommandOf,
  type ErrorMessageText,
  type EventOf,
  type MediaItem,
  type MessageType,
  type RejectionCode,
  type StoredMediaItem,
} from '@chat/contracts';
import { accepted, rejected, type CommandAcceptedResult, type Decider, type Decision, type DecisionContext } from './decider';
import {
  addReader,
  appendMessage,
  createMessageLog,
  firstWithClientMessageId,
  isDeleted,
  isDelivered,
  isUnreadBy,
  markDeleted,
  markDelivered,
  markRead,
  messageIdAt,
  messageIndex,
  senderAt,
  unreadBy,
  type MessageLog,
} from './message-log';

/**
 * The conversation aggregate: one stream, `conversation-<id>`, per conversation.
 *
 * Blocks live here too, on the stream of the pair's direct conversation: a block and a send
 * between the same two users are then decided on one stream and ordered by its revision, so
 * no send slips past a block. Two users may block each other without ever having talked,
 * which is why a stream that is not a conversation yet still has a state: its blocks.
 */

export type ConversationCommand = CommandOf<
  | 'SendMessage'
  | 'DeleteMessage'
  | 'MarkMessagesRead'
  | 'MarkMessageDelivered'
  | 'CreateDirectConversation'
  | 'CreateGroupConversation'
  | 'AddParticipants'
  | 'RemoveParticipant'
  | 'SetGroupPhoto'
  | 'RemoveGroupPhoto'
  | 'BlockUser'
  | 'UnblockUser'
>;

export type ConversationEvent = EventOf<
  | 'UserBlocked'
  | 'UserUnblocked'
  | 'DirectConversationCreated'
  | 'GroupConversationCreated'
  | 'ParticipantsAdded'
  | 'ParticipantRemoved'
  | 'MessageSent'
  | 'MessageDeleted'
  | 'MessagesRead'
  | 'MessageDelivered'
  | 'GroupPhotoUpdated'
  | 'GroupPhotoRemoved'
>;

/**
 * The users who have blocked the other member of the pair. Every block on a stream is about
 * the same two users (BlockUser checks the stream is theirs), so the blocker alone says who
 * blocked whom.
 */
type Blockers = Set<string>;

export interface NotCreatedConversation {
  readonly status: 'not_created';
  readonly blockers: Blockers;
}

interface CreatedConversation {
  readonly conversationId: string;
  readonly createdBy: string;
  readonly createdAt: string;
  /** Current members, in the order they joined. */
  readonly participants: Set<string>;
  readonly blockers: Blockers;
  readonly messages: MessageLog;
}

export interface DirectConversation extends CreatedConversation {
  readonly status: 'direct';
}

export interface GroupConversation extends CreatedConversation {
  readonly status: 'group';
  readonly name: string | null;
  /** Always members: leaving or being removed ends the role. */
  readonly admins: Set<string>;
  groupImage: string | null;
}

export type ConversationState = NotCreatedConversation | DirectConversation | GroupConversation;

type ConversationDecision = Decision<ConversationEvent, CommandAcceptedResult>;

function accept(events: ConversationEvent[], result: CommandAcceptedResult): ConversationDecision {
  return accepted(events, result);
}

function reject(code: RejectionCode, message: ErrorMessageText): ConversationDecision {
  return rejected(code, message);
}

const conversationNotFound = () => reject('not_found', ErrorMessage.ConversationNotFound);
const actingForAnotherUser = () => reject('forbidden', ErrorMessage.ActingForAnotherUser);

// ---------------------------------------------------------------- evolve

function initialState(): ConversationState {
  return { status: 'not_created', blockers: new Set() };
}

function created(
  blockers: Blockers,
  conversationId: string,
  participantIds: readonly string[],
  createdBy: string,
  createdAt: string,
): CreatedConversation {
  const messages = createMessageLog();
  for (const userId of participantIds) addReader(messages, userId);
  return { conversationId, createdBy, createdAt, participants: new Set(participantIds), blockers, messages };
}

/**
 * Updates `state` in place (see Decider). An event that cannot apply to the state it meets
 * (a message on a stream that is no conversation) is skipped: the stream stays readable,
 * and decide never emits such a sequence.
 */
function evolve(state: ConversationState, event: ConversationEvent): ConversationState {
  switch (event.type) {
    case 'UserBlocked':
      state.blockers.add(event.data.userId);
      return state;
    case 'UserUnblocked':
      state.blockers.delete(event.data.userId);
      return state;
    case 'DirectConversationCreated': {
      if (state.status !== 'not_created') return state;
      const { conversationId, participantIds, createdBy, createdAt } = event.data;
      return { status: 'direct', ...created(state.blockers, conversationId, participantIds, createdBy, createdAt) };
    }
    case 'GroupConversationCreated': {
      if (state.status !== 'not_created') return state;
      const { conversationId, participantIds, adminIds, createdBy, createdAt, name } = event.data;
      return {
        status: 'group',
        ...created(state.blockers, conversationId, participantIds, createdBy, createdAt),
        name,
        admins: new Set(adminIds),
        groupImage: null,
      };
    }
    case 'ParticipantsAdded':
      if (state.status !== 'group') return state;
      for (const userId of event.data.userIds) {
        state.participants.add(userId);
        addReader(state.messages, userId);
      }
      return state;
    case 'ParticipantRemoved':
      if (state.status !== 'group') return state;
      state.participants.delete(event.data.userId);
      state.admins.delete(event.data.userId);
      return state;
    case 'MessageSent':
      if (state.status === 'not_created') return state;
      appendMessage(state.messages, event.data.messageId, event.data.senderId, event.data.clientMessageId);
      return state;
    case 'MessageDeleted': {
      if (state.status === 'not_created') return state;
      const index = messageIndex(state.messages, event.data.messageId);
      if (index !== undefined) markDeleted(state.messages, index);
      return state;
    }
    case 'MessagesRead':
      if (state.status === 'not_created') return state;
      markRead(state.messages, event.data.readerId, indexesOf(state.messages, event.data.messageIds));
      return state;
    case 'MessageDelivered':
      if (state.status === 'not_created') return state;
      for (const index of indexesOf(state.messages, event.data.messageIds)) markDelivered(state.messages, index);
      return state;
    case 'GroupPhotoUpdated':
      if (state.status === 'group') state.groupImage = event.data.groupImage;
      return state;
    case 'GroupPhotoRemoved':
      if (state.status === 'group') state.groupImage = null;
      return state;
  }
}

function* indexesOf(log: MessageLog, messageIds: readonly string[]): Generator<number> {
  for (const messageId of messageIds) {
    const index = messageIndex(log, messageId);
    if (index !== undefined) yield index;
  }
}

// ---------------------------------------------------------------- messages

type SendMessageCommand = CommandOf<'SendMessage'>;

interface StorableContent {
  readonly text: string | null;
  readonly media: StoredMediaItem[];
  readonly messageType: MessageType;
}

function isStorable(item: MediaItem): item is StoredMediaItem {
  return item.type !== 'audio';
}

/**
 * The content checks of `send:message`, in the contract's order: audio first (the spec's own
 * error), then the rules whose messages are ours. Blank text counts as no text, and is stored
 * as null so that no reader ever shows an empty caption.
 */
function checkContent(data: SendMessageCommand['data'], context: DecisionContext): StorableContent | ConversationDecision {
  const { media, messageType } = data;
  if (messageType === 'audio' || !media.every(isStorable)) return reject('invalid', ErrorMessage.AudioNotAllowed);
  const text = data.text !== null && data.text.trim() !== '' ? data.text : null;
  if (text === null && media.length === 0) return reject('invalid', ErrorMessage.MessageEmpty);
  // UTF-16 units, as every other length limit in the system (schemas, clients' maxlength) counts.
  if (text !== null && text.length > MESSAGE_TEXT_MAX_CHARS) return reject('invalid', ErrorMessage.MessageTextTooLong);
  if (media.length > MESSAGE_MEDIA_MAX) return reject('invalid', ErrorMessage.TooManyMedia);
  const typeMatches = media.length === 0 ? messageType === 'text' : media.some((item) => item.type === messageType);
  if (!typeMatches) return reject('invalid', ErrorMessage.MessageTypeMismatch);
  if (!media.every((item) => context.mediaUrlAllowed(item.url))) return reject('invalid', ErrorMessage.MediaUrlNotIssued);
  return { text, media, messageType };
}

/**
 * A send that repeats one already accepted: the same command redelivered (same messageId),
 * or a client's retry (same clientMessageId from the same sender). It answers before the
 * rules, because the original passed them: a sender blocked or removed since then still
 * hears that their message was sent, which it was.
 */
function repeatedSend(state: DirectConversation | GroupConversation, command: SendMessageCommand): ConversationDecision | undefined {
  const { data } = command;
  const log = state.messages;
  if (command.metadata.userId !== data.senderId) return undefined;
  const existing = messageIndex(log, data.messageId);
  if (existing !== undefined && senderAt(log, existing) === data.senderId) {
    return accept([], { conversationId: state.conversationId, messageId: data.messageId, duplicate: true });
  }
  if (data.clientMessageId === null) return undefined;
  const first = firstWithClientMessageId(log, data.senderId, data.clientMessageId);
  if (first === undefined) return undefined;
  return accept([], { conversationId: state.conversationId, messageId: messageIdAt(log, first), duplicate: true });
}

function otherMember(state: DirectConversation, userId: string): string | undefined {
  for (const member of state.participants) if (member !== userId) return member;
  return undefined;
}

function decideSendMessage(command: SendMessageCommand, state: ConversationState, context: DecisionContext): ConversationDecision {
  if (state.status === 'not_created') return conversationNotFound();
  const repeated = repeatedSend(state, command);
  if (repeated) return repeated;

  const { data } = command;
  const caller = command.metadata.userId;
  if (caller !== data.senderId || !state.participants.has(caller)) {
    return reject('forbidden', ErrorMessage.NotAuthorizedToSend);
  }
  if (state.status === 'direct') {
    if (state.blockers.has(caller)) return reject('forbidden', ErrorMessage.SenderBlockedRecipient);
    const other = otherMember(state, caller);
    if (other !== undefined && state.blockers.has(other)) return reject('forbidden', ErrorMessage.ActionNotAvailable);
  }
  const content = checkContent(data, context);
  if ('kind' in content) return content;

  let replyTo: string | null = null;
  if (data.replyTo !== null) {
    const target = toObjectId(data.replyTo);
    if (target === undefined || messageIndex(state.messages, target) === undefined) {
      return reject('invalid', ErrorMessage.ReplyTargetNotFound);
    }
    replyTo = target;
  }
  // Message ids are minted at the edge; one already taken by someone else is a bug or a
  // forgery, and storing it twice would make the message index ambiguous.
  if (messageIndex(state.messages, data.messageId) !== undefined) return reject('conflict', ErrorMessage.MessageIdConflict);

  return accept(
    [
      {
        type: 'MessageSent',
        version: 1,
        data: {
          conversationId: state.conversationId,
          messageId: data.messageId,
          senderId: data.senderId,
          ...content,
          replyTo,
          clientMessageId: data.clientMessageId,
          sentAt: context.now.toISOString(),
        },
      },
    ],
    { conversationId: state.conversationId, messageId: data.messageId },
  );
}

function decideDeleteMessage(command: CommandOf<'DeleteMessage'>, state: ConversationState): ConversationDecision {
  if (state.status === 'not_created') return conversationNotFound();
  const { messageId } = command.data;
  const caller = command.metadata.userId;
  const index = messageIndex(state.messages, messageId);
  if (index === undefined) return reject('not_found', ErrorMessage.MessageNotFound);
  if (senderAt(state.messages, index) !== caller) return reject('forbidden', ErrorMessage.NotMessageSender);
  const result = { conversationId: state.conversationId, messageId };
  if (isDeleted(state.messages, index)) return accept([], result);
  return accept(
    [{ type: 'MessageDeleted', version: 1, data: { conversationId: state.conversationId, messageId, deletedBy: caller } }],
    result,
  );
}

/** Messages named on the wire that `readerId` has not read yet, deduplicated, in conversation order. */
function newlyRead(log: MessageLog, readerId: string, messageIds: readonly string[]): number[] {
  const indexes = new Set<number>();
  for (const wireId of messageIds) {
    const messageId = toObjectId(wireId);
    const index = messageId === undefined ? undefined : messageIndex(log, messageId);
    if (index !== undefined && isUnreadBy(log, readerId, index)) indexes.add(index);
  }
  return [...indexes].sort((a, b) => a - b);
}

function decideMarkMessagesRead(command: CommandOf<'MarkMessagesRead'>, state: ConversationState): ConversationDecision {
  if (state.status === 'not_created') return conversationNotFound();
  const { readerId, messageIds } = command.data;
  if (readerId !== command.metadata.userId) return actingForAnotherUser();
  if (!state.participants.has(readerId)) return reject('forbidden', ErrorMessage.NotAParticipant);
  if (messageIds.length > READ_BATCH_MAX) return reject('invalid', ErrorMessage.TooManyMessageIds);

  const log = state.messages;
  const indexes = messageIds.length === 0 ? unreadBy(log, readerId) : newlyRead(log, readerId, messageIds);
  const result = { conversationId: state.conversationId };
  if (indexes.length === 0) return accept([], result);
  return accept(
    [
      {
        type: 'MessagesRead',
        version: 1,
        data: { conversationId: state.conversationId, readerId, messageIds: indexes.map((index) => messageIdAt(log, index)) },
      },
    ],
    result,
  );
}

/**
 * Delivery is a property of the message, not of each recipient: its sender hears
 * `message:delivered` once, when it first reaches anyone. Deleted messages are skipped, as
 * there is nothing left to tell their sender about.
 */
function decideMarkMessageDelivered(command: CommandOf<'MarkMessageDelivered'>, state: ConversationState): ConversationDecision {
  if (state.status === 'not_created') return conversationNotFound();
  const { recipientId, messageIds } = command.data;
  if (!state.participants.has(recipientId)) return reject('forbidden', ErrorMessage.NotAParticipant);

  const log = state.messages;
  const indexes = new Set<number>();
  for (const messageId of messageIds) {
    const index = messageIndex(log, messageId);
    if (index === undefined || senderAt(log, index) === recipientId) continue;
    if (!isDeleted(log, index) && !isDelivered(log, index)) indexes.add(index);
  }
  const result = { conversationId: state.conversationId };
  if (indexes.size === 0) return accept([], result);
  const delivered = [...indexes].sort((a, b) => a - b).map((index) => messageIdAt(log, index));
  return accept(
    [{ type: 'MessageDelivered', version: 1, data: { conversationId: state.conversationId, messageIds: delivered, recipientId } }],
    result,
  );
}

// ---------------------------------------------------------------- conversations

function decideCreateDirectConversation(
  command: CommandOf<'CreateDirectConversation'>,
  state: ConversationState,
  context: DecisionContext,
): ConversationDecision {
  const { conversationId, creatorId, otherUserId } = command.data;
  if (creatorId !== command.metadata.userId) return actingForAnotherUser();
  if (creatorId === otherUserId) return reject('invalid', ErrorMessage.CannotConverseWithSelf);
  if (conversationId !== directConversationId(creatorId, otherUserId)) return reject('invalid', ErrorMessage.InvalidPayload);
  // Either member may ask; whoever asked first is the creator.
  if (state.status === 'direct') return accept([], { conversationId, duplicate: true });
  if (state.status === 'group') return reject('conflict', ErrorMessage.ConversationIdConflict);
  return accept(
    [
      {
        type: 'DirectConversationCreated',
        version: 1,
        data: { conversationId, participantIds: [creatorId, otherUserId], createdBy: creatorId, createdAt: context.now.toISOString() },
      },
    ],
    { conversationId },
  );
}

function decideCreateGroupConversation(
  command: CommandOf<'CreateGroupConversation'>,
  state: ConversationState,
  context: DecisionContext,
): ConversationDecision {
  const { conversationId, creatorId, name, participantIds } = command.data;
  if (creatorId !== command.metadata.userId) return actingForAnotherUser();
  if (state.status === 'group' && state.createdBy === creatorId) return accept([], { conversationId, duplicate: true });
  if (state.status !== 'not_created') return reject('conflict', ErrorMessage.ConversationIdConflict);
  const members = [...new Set([creatorId, ...participantIds])];
  return accept(
    [
      {
        type: 'GroupConversationCreated',
        version: 1,
        data: {
          conversationId,
          name,
          participantIds: members,
          adminIds: [creatorId],
          createdBy: creatorId,
          createdAt: context.now.toISOString(),
        },
      },
    ],
    { conversationId },
  );
}

/**
 * The checks every group command starts with: the conversation exists and is a group. An
 * outsider asking about a direct conversation is told what any outsider is (not a
 * participant), not what kind of conversation it is.
 */
function asGroup(state: ConversationState, caller: string): GroupConversation | ConversationDecision {
  if (state.status === 'not_created') return conversationNotFound();
  if (state.status === 'direct') {
    return state.participants.has(caller) ? reject('invalid', ErrorMessage.NotAGroup) : reject('forbidden', ErrorMessage.NotAParticipant);
  }
  return state;
}

function decideAddParticipants(command: CommandOf<'AddParticipants'>, state: ConversationState): ConversationDecision {
  const group = asGroup(state, command.metadata.userId);
  if ('kind' in group) return group;
  const caller = command.metadata.userId;
  if (!group.admins.has(caller)) return reject('forbidden', ErrorMessage.NotGroupAdmin);
  const added = [...new Set(command.data.userIds)].filter((userId) => !group.participants.has(userId));
  const result = { conversationId: group.conversationId };
  if (added.length === 0) return accept([], result);
  return accept(
    [{ type: 'ParticipantsAdded', version: 1, data: { conversationId: group.conversationId, userIds: added, addedBy: caller } }],
    result,
  );
}

/**
 * An admin removes anyone; anyone may leave. When the last admin leaves, the group simply
 * has no admin: members keep talking, leaving and changing the photo, and nobody can add or
 * remove others. No one is promoted, since the contract names no rule for choosing.
 */
function decideRemoveParticipant(command: CommandOf<'RemoveParticipant'>, state: ConversationState): ConversationDecision {
  const group = asGroup(state, command.metadata.userId);
  if ('kind' in group) return group;
  const caller = command.metadata.userId;
  const { userId } = command.data;
  if (userId !== caller && !group.admins.has(caller)) return reject('forbidden', ErrorMessage.NotGroupAdmin);
  if (!group.participants.has(userId)) return reject('not_found', ErrorMessage.NotAParticipant);
  return accept(
    [{ type: 'ParticipantRemoved', version: 1, data: { conversationId: group.conversationId, userId, removedBy: caller } }],
    { conversationId: group.conversationId },
  );
}

function decideSetGroupPhoto(command: CommandOf<'SetGroupPhoto'>, state: ConversationState, context: DecisionContext): ConversationDecision {
  const group = asGroup(state, command.metadata.userId);
  if ('kind' in group) return group;
  const caller = command.metadata.userId;
  if (!group.participants.has(caller)) return reject('forbidden', ErrorMessage.NotAParticipant);
  const { groupImage } = command.data;
  if (!context.mediaUrlAllowed(groupImage)) return reject('invalid', ErrorMessage.MediaUrlNotIssued);
  const result = { conversationId: group.conversationId };
  // Every upload has a url of its own, so the same url again is the same request repeated.
  if (group.groupImage === groupImage) return accept([], result);
  return accept(
    [{ type: 'GroupPhotoUpdated', version: 1, data: { conversationId: group.conversationId, groupImage, updatedBy: caller } }],
    result,
  );
}

function decideRemoveGroupPhoto(command: CommandOf<'RemoveGroupPhoto'>, state: ConversationState): ConversationDecision {
  const group = asGroup(state, command.metadata.userId);
  if ('kind' in group) return group;
  const caller = command.metadata.userId;
  if (!group.participants.has(caller)) return reject('forbidden', ErrorMessage.NotAParticipant);
  const result = { conversationId: group.conversationId };
  if (group.groupImage === null) return accept([], result);
  return accept([{ type: 'GroupPhotoRemoved', version: 1, data: { conversationId: group.conversationId, removedBy: caller } }], result);
}

// ---------------------------------------------------------------- blocks

/** The checks BlockUser and UnblockUser share; undefined when the command may proceed. */
function checkBlockCommand(command: CommandOf<'BlockUser' | 'UnblockUser'>): ConversationDecision | undefined {
  const { conversationId, userId, blockedUserId } = command.data;
  if (userId !== command.metadata.userId) return actingForAnotherUser();
  if (userId === blockedUserId) return reject('invalid', ErrorMessage.CannotBlockSelf);
  if (conversationId !== directConversationId(userId, blockedUserId)) return reject('invalid', ErrorMessage.InvalidPayload);
  return undefined;
}

function decideBlockUser(command: CommandOf<'BlockUser'>, state: ConversationState): ConversationDecision {
  const failed = checkBlockCommand(command);
  if (failed) return failed;
  const { data } = command;
  const result = { conversationId: data.conversationId };
  if (state.blockers.has(data.userId)) return accept([], result);
  return accept([{ type: 'UserBlocked', version: 1, data: { ...data } }], result);
}

function decideUnblockUser(command: CommandOf<'UnblockUser'>, state: ConversationState): ConversationDecision {
  const failed = checkBlockCommand(command);
  if (failed) return failed;
  const { data } = command;
  const result = { conversationId: data.conversationId };
  if (!state.blockers.has(data.userId)) return accept([], result);
  return accept([{ type: 'UserUnblocked', version: 1, data: { ...data } }], result);
}

// ---------------------------------------------------------------- the decider

function decide(command: ConversationCommand, state: ConversationState, context: DecisionContext): ConversationDecision {
  switch (command.type) {
    case 'SendMessage':
      return decideSendMessage(command, state, context);
    case 'DeleteMessage':
      return decideDeleteMessage(command, state);
    case 'MarkMessagesRead':
      return decideMarkMessagesRead(command, state);
    case 'MarkMessageDelivered':
      return decideMarkMessageDelivered(command, state);
    case 'CreateDirectConversation':
      return decideCreateDirectConversation(command, state, context);
    case 'CreateGroupConversation':
      return decideCreateGroupConversation(command, state, context);
    case 'AddParticipants':
      return decideAddParticipants(command, state);
    case 'RemoveParticipant':
      return decideRemoveParticipant(command, state);
    case 'SetGroupPhoto':
      return decideSetGroupPhoto(command, state, context);
    case 'RemoveGroupPhoto':
      return decideRemoveGroupPhoto(command, state);
    case 'BlockUser':
      return decideBlockUser(command, state);
    case 'UnblockUser':
      return decideUnblockUser(command, state);
  }
}

export const conversationDecider: Decider<ConversationCommand, ConversationEvent, ConversationState, CommandAcceptedResult> = {
  initialState,
  evolve,
  decide,
};
