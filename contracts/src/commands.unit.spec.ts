import {
  Command,
  commandPartitionKey,
  commandSchema,
  CommandType,
  parseCommand,
  sendMessageCommandSchema,
} from './index';

const conversationId = '507f1f77bcf86cd799439011';
const alice = '507f1f77bcf86cd799439021';
const bob = '507f1f77bcf86cd799439022';
const messageId = '507f1f77bcf86cd799439031';
const metadata = {
  userId: alice,
  gatewayId: 'gateway-1',
  socketId: 'AbCdEfGhIjKlMnOpQrSt',
  correlationId: '2f0c8b1e-3b7a-4c1e-9a57-0d7c3f2a1b90',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  issuedAt: '2024-05-01T10:00:00.000Z',
};
const envelope = { version: 1 as const, commandId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84', metadata };

const commands: Command[] = [
  {
    ...envelope,
    type: 'SendMessage',
    data: {
      conversationId,
      messageId,
      senderId: alice,
      text: 'Check this out!',
      media: [{ url: 'https://cdn.example.com/a.jpg', type: 'image', filename: 'a.jpg', size: 10 }],
      messageType: 'image',
      replyTo: null,
      clientMessageId: 'c-1',
    },
  },
  { ...envelope, type: 'DeleteMessage', data: { conversationId, messageId } },
  { ...envelope, type: 'MarkMessagesRead', data: { conversationId, readerId: bob, messageIds: [] } },
  { ...envelope, type: 'MarkMessageDelivered', data: { conversationId, messageIds: [messageId], recipientId: bob } },
  { ...envelope, type: 'CreateDirectConversation', data: { conversationId, creatorId: alice, otherUserId: bob } },
  { ...envelope, type: 'CreateGroupConversation', data: { conversationId, creatorId: alice, name: 'Team', participantIds: [bob] } },
  { ...envelope, type: 'AddParticipants', data: { conversationId, userIds: [bob] } },
  { ...envelope, type: 'RemoveParticipant', data: { conversationId, userId: bob } },
  { ...envelope, type: 'SetGroupPhoto', data: { conversationId, groupImage: 'https://cdn.example.com/g.jpg' } },
  { ...envelope, type: 'RemoveGroupPhoto', data: { conversationId } },
  { ...envelope, type: 'RegisterUser', data: { userId: alice, name: 'Alice', profileImage: null } },
  { ...envelope, type: 'BlockUser', data: { conversationId, userId: alice, blockedUserId: bob } },
  { ...envelope, type: 'UnblockUser', data: { conversationId, userId: alice, blockedUserId: bob } },
];

const send = commands[0] as Command;
const messageOf = (raw: unknown): string => {
  const result = parseCommand(raw);
  return result.success ? 'parsed' : result.message;
};

describe('commands', () => {
  it('covers every command type', () => {
    expect(commands.map((command) => command.type).sort()).toEqual(Object.values(CommandType).sort());
  });

  it.each(commands.map((command) => [command.type, command] as const))('%s round-trips through JSON', (_type, command) => {
    expect(parseCommand(JSON.parse(JSON.stringify(command)))).toEqual({ success: true, data: command });
  });

  it('allows REST commands without a socket and normalises id case', () => {
    const { socketId: _socketId, ...rest } = metadata;
    const parsed = commandSchema.parse({ ...send, metadata: { ...rest, userId: alice.toUpperCase() } });
    expect(parsed.metadata).toEqual({ ...rest, userId: alice });
  });

  it('keeps message references the decider answers later as sent', () => {
    const parsed = sendMessageCommandSchema.parse({ ...send, data: { ...send.data, replyTo: 'abc', messageType: 'audio' } });
    expect(parsed.data).toMatchObject({ replyTo: 'abc', messageType: 'audio' });
    const read = parseCommand({ ...envelope, type: 'MarkMessagesRead', data: { conversationId, readerId: bob, messageIds: ['abc'] } });
    expect(read.success && read.data.data).toEqual({ conversationId, readerId: bob, messageIds: ['abc'] });
  });

  it.each([
    ['an unknown type', { ...send, type: 'SendMessages' }, 'Invalid payload: type: Invalid discriminator value'],
    ['a later version', { ...send, version: 2 }, 'Invalid payload: version: expected 1'],
    ['no version', { ...send, version: undefined }, 'Invalid payload: version: expected 1'],
    ['a commandId that is not a UUID', { ...send, commandId: messageId }, 'Invalid payload: commandId: Invalid UUID'],
    ['a conversationId that is not an ObjectId', { ...send, data: { ...send.data, conversationId: 'abc' } }, 'Invalid payload: data.conversationId: expected a 24-hex-digit ObjectId'],
    ['a caller that is not an ObjectId', { ...send, metadata: { ...metadata, userId: 'alice' } }, 'Invalid payload: metadata.userId: expected a 24-hex-digit ObjectId'],
    ['no metadata', { ...send, metadata: undefined }, 'Invalid payload: metadata: expected object, received undefined'],
    ['a timestamp that is not ISO', { ...send, metadata: { ...metadata, issuedAt: 'yesterday' } }, 'Invalid payload: metadata.issuedAt: Invalid ISO datetime'],
    ['a sticker', { ...send, data: { ...send.data, messageType: 'sticker' } }, 'Invalid payload: data.messageType: Invalid option'],
    ['data of another command', { ...send, type: 'DeleteMessage', data: { conversationId } }, 'Invalid payload: data.messageId: expected string, received undefined'],
    ['an empty delivery', { ...envelope, type: 'MarkMessageDelivered', data: { conversationId, messageIds: [], recipientId: bob } }, 'Invalid payload: data.messageIds: Too small'],
    ['a non-ObjectId participant', { ...envelope, type: 'AddParticipants', data: { conversationId, userIds: ['bob'] } }, 'Invalid payload: data.userIds[0]: expected a 24-hex-digit ObjectId'],
    ['a non-ObjectId blocked user', { ...envelope, type: 'BlockUser', data: { conversationId, userId: alice, blockedUserId: 'x' } }, 'Invalid payload: data.blockedUserId: expected a 24-hex-digit ObjectId'],
    ['an own "__proto__" key', JSON.parse(JSON.stringify(send).replace('"data":{', '"data":{"__proto__":{"admin":true},')), 'Invalid payload: data.__proto__: forbidden key'],
    ['null', null, 'Invalid payload: expected object, received null'],
  ])('rejects %s', (_name, raw, message) => {
    expect(messageOf(raw)).toContain(message);
  });

  it('keys conversation commands (blocks included) by conversation and RegisterUser by user', () => {
    expect(commands.map(commandPartitionKey)).toEqual([...Array(10).fill(conversationId), alice, conversationId, conversationId]);
  });
});
