import {
  AckResponse,
  ClientEvent,
  clientEventSchemas,
  ClientToServerEvents,
  parseClientPayload,
  parseWith,
  ServerEvent,
  serverEventSchemas,
  ServerToClientEvents,
} from './index';
import { serverExamples } from './spec-examples.fixture';

const conversationId = '507f1f77bcf86cd799439011';
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('event maps', () => {
  it('has a schema for every client and server event of the spec', () => {
    expect(Object.keys(clientEventSchemas).sort()).toEqual(
      ['join:conversation', 'leave:conversation', 'message:read', 'send:message', 'typing:start', 'typing:stop'],
    );
    expect(Object.keys(serverEventSchemas).sort()).toEqual([
      'error',
      'group:photo:removed',
      'group:photo:updated',
      'message:deleted',
      'message:delivered',
      'message:sent',
      'messages:read',
      'new:message',
      'typing:start',
      'typing:stop',
      'user:offline',
      'user:online',
    ]);
    expect(Object.values(ServerEvent).sort()).toEqual(Object.keys(serverEventSchemas).sort());
  });

  it.each(Object.entries(serverExamples))('server payload %s parses to itself', (event, payload) => {
    const schema = serverEventSchemas[event as keyof typeof serverEventSchemas];
    expect(schema.parse(payload)).toEqual(payload);
    expect(schema.parse(viaJson(payload))).toEqual(payload);
  });

  it.each([
    ['new:message', 'message.status', { message: { ...serverExamples['new:message'].message, status: 'seen' } }],
    ['new:message', 'message.messageType', { message: { ...serverExamples['new:message'].message, messageType: 'audio' } }],
    ['message:sent', 'messageId', { messageId: 'abc', conversationId }],
    ['group:photo:removed', 'groupImage', { groupId: conversationId, groupImage: 'https://x.example/a.png', removedBy: conversationId }],
    ['error', 'message', {}],
  ] as const)('server payload %s rejects a wrong %s', (event, path, payload) => {
    const result = parseWith(serverEventSchemas[event], payload);
    expect(result.success).toBe(false);
    expect(!result.success && result.message).toMatch(new RegExp(`^Invalid payload: ${path.replace('.', '\\.')}: `));
  });
});

describe('typed event maps', () => {
  it('dispatches parsing by event name', () => {
    const read = parseClientPayload(ClientEvent.MessageRead, { conversationId, messageIds: [] });
    expect(read).toEqual({ success: true, data: { conversationId, messageIds: [] } });
    expect(parseClientPayload(ClientEvent.MessageRead, { conversationId })).toEqual({
      success: false,
      message: 'Invalid payload: messageIds: expected array, received undefined',
    });
  });

  it('types payloads and acknowledgements as a Socket.IO client sees them', () => {
    const sent: Parameters<ClientToServerEvents['send:message']>[0][] = [
      { conversationId, text: 'Hello', messageType: 'text' },
      { conversationId, text: null, media: [], messageType: 'text' },
      // @ts-expect-error messageType is required
      { conversationId, text: 'Hello' },
      // @ts-expect-error stickers are not a message type
      { conversationId, text: 'Hello', messageType: 'sticker' },
    ];
    const acks: AckResponse<{ messageId: string; conversationId: string }>[] = [
      { success: true, messageId: conversationId, conversationId },
      { success: false, message: 'Conversation not found' },
      // @ts-expect-error a failure names its problem
      { success: false },
    ];
    const onRemoved: ServerToClientEvents['group:photo:removed'] = ({ groupImage }) => {
      const removed: null = groupImage;
      return removed;
    };
    expect(sent).toHaveLength(4);
    expect(acks).toHaveLength(3);
    expect(onRemoved(serverExamples['group:photo:removed'])).toBeNull();
  });
});
