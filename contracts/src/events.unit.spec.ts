import {
  conversationStream,
  createEventParser,
  currentEventVersions,
  DomainEvent,
  domainEventSchema,
  eventMetadataSchema,
  EventType,
  parseEvent,
  publishedEventSchema,
} from './index';

const conversationId = '507f1f77bcf86cd799439011';
const alice = '507f1f77bcf86cd799439021';
const bob = '507f1f77bcf86cd799439022';
const messageId = '507f1f77bcf86cd799439031';
const at = '2024-05-01T10:00:00.000Z';

const events: DomainEvent[] = [
  { type: 'UserRegistered', version: 1, data: { userId: alice, name: 'Alice', profileImage: 'https://cdn.example.com/a.png' } },
  { type: 'UserBlocked', version: 1, data: { conversationId, userId: alice, blockedUserId: bob } },
  { type: 'UserUnblocked', version: 1, data: { conversationId, userId: alice, blockedUserId: bob } },
  { type: 'DirectConversationCreated', version: 1, data: { conversationId, participantIds: [alice, bob], createdBy: alice, createdAt: at } },
  {
    type: 'GroupConversationCreated',
    version: 1,
    data: { conversationId, name: null, participantIds: [alice, bob], adminIds: [alice], createdBy: alice, createdAt: at },
  },
  { type: 'ParticipantsAdded', version: 1, data: { conversationId, userIds: [bob], addedBy: alice } },
  { type: 'ParticipantRemoved', version: 1, data: { conversationId, userId: bob, removedBy: bob } },
  {
    type: 'MessageSent',
    version: 1,
    data: {
      conversationId,
      messageId,
      senderId: alice,
      text: null,
      media: [{ url: 'https://cdn.example.com/v.mp4', type: 'video', filename: null, size: 2048 }],
      messageType: 'video',
      replyTo: '507f1f77bcf86cd799439032',
      clientMessageId: null,
      sentAt: at,
    },
  },
  { type: 'MessageDeleted', version: 1, data: { conversationId, messageId, deletedBy: alice } },
  { type: 'MessagesRead', version: 1, data: { conversationId, readerId: bob, messageIds: [messageId] } },
  { type: 'MessageDelivered', version: 1, data: { conversationId, messageIds: [messageId], recipientId: bob } },
  { type: 'GroupPhotoUpdated', version: 1, data: { conversationId, groupImage: 'https://cdn.example.com/g.jpg', updatedBy: alice } },
  { type: 'GroupPhotoRemoved', version: 1, data: { conversationId, removedBy: alice } },
];

const messageSent = events[7] as Extract<DomainEvent, { type: 'MessageSent' }>;
const metadata = {
  commandId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84',
  correlationId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84',
  causationId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84',
  userId: alice,
  gatewayId: 'gateway-1',
  schemaVersion: 1,
  occurredAt: at,
};
const failure = (result: { success: boolean; message?: string }) => (result.success ? 'parsed' : result.message);

describe('domain events', () => {
  it('covers every event type, each at version 1', () => {
    expect(events.map((event) => event.type).sort()).toEqual(Object.values(EventType).sort());
    expect([...currentEventVersions.values()]).toEqual(Array(13).fill(1));
  });

  it.each(events.map((event) => [event.type, event] as const))('%s round-trips through JSON and parseEvent', (type, event) => {
    const stored: unknown = JSON.parse(JSON.stringify(event.data));
    expect(parseEvent(type, 1, stored)).toEqual({ success: true, data: event });
    expect(domainEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it.each([
    ['an unknown type', parseEvent('MessageEdited', 1, {}), 'Unknown event type: MessageEdited'],
    ['a future version', parseEvent('MessageSent', 2, messageSent.data), 'Unsupported version 2 of MessageSent'],
    ['a fractional version', parseEvent('MessageSent', 1.5, messageSent.data), 'Unsupported version 1.5 of MessageSent'],
    ['an older version without an upcaster', parseEvent('MessageSent', 0, messageSent.data), 'No upcaster from version 0 of MessageSent'],
    ['audio', parseEvent('MessageSent', 1, { ...messageSent.data, messageType: 'audio' }), 'Invalid payload: data.messageType: Invalid option'],
    ['a non-ObjectId id', parseEvent('MessageDeleted', 1, { conversationId, messageId: 'm1', deletedBy: alice }), 'Invalid payload: data.messageId: expected a 24-hex-digit ObjectId'],
    ['a three-person direct conversation', parseEvent('DirectConversationCreated', 1, { conversationId, participantIds: [alice, bob, messageId], createdBy: alice, createdAt: at }), 'Invalid payload: data.participantIds: Too big'],
    ['a read that changed nothing', parseEvent('MessagesRead', 1, { conversationId, readerId: bob, messageIds: [] }), 'Invalid payload: data.messageIds: Too small'],
  ])('rejects %s', (_name, result, message) => {
    expect(failure(result)).toContain(message);
  });

  it('rejects a wrong type or version in the union', () => {
    expect(domainEventSchema.safeParse({ ...messageSent, version: 2 }).error?.issues[0]?.path).toEqual(['version']);
    expect(domainEventSchema.safeParse({ ...messageSent, type: 'MessageSended' }).error?.issues[0]?.path).toEqual(['type']);
  });

  it('checks event metadata', () => {
    expect(eventMetadataSchema.parse(metadata)).toEqual(metadata);
    expect(eventMetadataSchema.safeParse({ ...metadata, causationId: undefined }).error?.issues[0]?.path).toEqual(['causationId']);
    expect(eventMetadataSchema.safeParse({ ...metadata, schemaVersion: 0 }).error?.issues[0]?.path).toEqual(['schemaVersion']);
  });

  it('reads the analysts\' envelope, whose data goes through parseEvent', () => {
    const published = {
      eventId: 'c3a2d1e0-1111-4222-8333-944455556666',
      streamName: conversationStream(conversationId),
      streamPosition: 7,
      type: messageSent.type,
      version: 1,
      data: messageSent.data,
      metadata,
    };
    const envelope = publishedEventSchema.parse(JSON.parse(JSON.stringify(published)));
    expect(envelope).toEqual(published);
    expect(parseEvent(envelope.type, envelope.version, envelope.data)).toEqual({ success: true, data: messageSent });
    expect(publishedEventSchema.safeParse({ ...published, streamName: 'conversation-x' }).success).toBe(false);
  });
});

describe('upcasters', () => {
  // A synthetic older shape: version 0 of MessageDeleted named the actor `by`.
  const parse = createEventParser({
    MessageDeleted: {
      0: (data) => {
        const { by, ...rest } = data as { by: unknown };
        return { ...rest, deletedBy: by };
      },
    },
  });
  const v0 = { conversationId, messageId, by: alice };

  it('upgrades an older version to the current one before validating', () => {
    expect(parse('MessageDeleted', 0, v0)).toEqual({
      success: true,
      data: { type: 'MessageDeleted', version: 1, data: { conversationId, messageId, deletedBy: alice } },
    });
  });

  it('leaves current versions alone', () => {
    expect(parse('MessageDeleted', 1, { conversationId, messageId, deletedBy: bob })).toMatchObject({ success: true, data: { data: { deletedBy: bob } } });
    expect(failure(parse('MessageDeleted', 1, v0))).toBe('Invalid payload: data.deletedBy: expected string, received undefined');
  });

  it('validates what an upcaster returns', () => {
    const broken = createEventParser({ MessageDeleted: { 0: () => ({ conversationId }) } });
    expect(failure(broken('MessageDeleted', 0, v0))).toContain('Invalid payload: data.messageId');
  });

  it('checks raw data before any upcaster sees it', () => {
    const upcaster = jest.fn((data: unknown) => data);
    const spied = createEventParser({ MessageDeleted: { 0: upcaster } });
    const raw: unknown = JSON.parse(`{"conversationId":"${conversationId}","__proto__":{"deletedBy":"${alice}"}}`);
    expect(failure(spied('MessageDeleted', 0, raw))).toBe('Invalid payload: __proto__: forbidden key');
    expect(upcaster).not.toHaveBeenCalled();
  });
});
