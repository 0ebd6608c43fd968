import {
  ClientEvent,
  conversationPayloadSchema,
  messageReadPayloadSchema,
  parseClientPayload,
  parseWith,
  sendMessagePayloadSchema,
  toObjectId,
  WIRE_MEDIA_MAX,
  WIRE_NESTING_MAX_DEPTH,
  WIRE_TEXT_MAX_CHARS,
} from './index';
import { clientExamples } from './spec-examples.fixture';

const conversationId = '507f1f77bcf86cd799439011';
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const image = { url: 'https://cdn.example.com/a.jpg', type: 'image' };

function messageOf(schema: Parameters<typeof parseWith>[0], raw: unknown): string {
  const result = parseWith(schema, raw);
  if (result.success) throw new Error(`expected a rejection, got ${JSON.stringify(result.data)}`);
  return result.message;
}

describe('client payloads: the spec examples parse', () => {
  const conversationCases = (['join:conversation', 'leave:conversation', 'typing:start', 'typing:stop'] as const).flatMap(
    (event) => clientExamples[event].map((payload) => [event, payload] as const),
  );

  it.each(conversationCases)('%s %j', (event, payload) => {
    expect(parseClientPayload(event, payload)).toEqual({ success: true, data: payload });
    expect(parseClientPayload(event, viaJson(payload))).toEqual({ success: true, data: payload });
  });

  it.each(Object.entries(clientExamples['send:message']))('send:message %s', (_name, payload) => {
    for (const raw of [payload, viaJson(payload)]) {
      const result = sendMessagePayloadSchema.safeParse(raw);
      expect(result.error).toBeUndefined();
      expect(result.data).toMatchObject({ conversationId: payload.conversationId, messageType: payload.messageType });
    }
  });

  it.each(Object.entries(clientExamples['message:read']))('message:read %s', (_name, payload) => {
    expect(messageReadPayloadSchema.parse(payload)).toEqual(payload);
    expect(messageReadPayloadSchema.parse(viaJson(payload))).toEqual(payload);
  });

  it('normalises absent and null fields of send:message to one spelling', () => {
    expect(sendMessagePayloadSchema.parse(clientExamples['send:message'].text)).toEqual({
      conversationId,
      text: 'Hello, how are you?',
      media: [],
      messageType: 'text',
      replyTo: null,
      clientMessageId: null,
    });
    expect(sendMessagePayloadSchema.parse(clientExamples['send:message'].media).media).toEqual([
      { url: 'https://res.cloudinary.com/.../image.jpg', type: 'image', filename: 'photo.jpg', size: 245678 },
    ]);
    expect(sendMessagePayloadSchema.parse(clientExamples['send:message'].flutterNoText)).toMatchObject({ text: null, media: [] });
    expect(sendMessagePayloadSchema.parse({ conversationId, text: 'x', media: null, messageType: 'text' }).media).toEqual([]);
    expect(sendMessagePayloadSchema.parse({ conversationId, media: [image], messageType: 'image' }).media).toEqual([
      { ...image, filename: null, size: null },
    ]);
  });

  it('keeps replyTo and clientMessageId', () => {
    const parsed = sendMessagePayloadSchema.parse({ ...clientExamples['send:message'].reply, clientMessageId: 'c-1' });
    expect(parsed).toMatchObject({ replyTo: '507f1f77bcf86cd799439012', clientMessageId: 'c-1' });
  });

  it('strips keys an event does not use', () => {
    expect(conversationPayloadSchema.parse({ conversationId, text: 'x', media: [] })).toEqual({ conversationId });
  });
});

describe('client payloads: what the decider must answer still parses', () => {
  it('accepts an id that is not an ObjectId, so the caller can answer "Conversation not found"', () => {
    const parsed = parseClientPayload(ClientEvent.JoinConversation, { conversationId: 'abc' });
    expect(parsed).toEqual({ success: true, data: { conversationId: 'abc' } });
    expect(parsed.success && toObjectId(parsed.data.conversationId)).toBeUndefined();
  });

  it('accepts audio, text over the domain limit, too many media by the domain rule and no content at all', () => {
    const audio = { url: 'https://cdn.example.com/a.mp3', type: 'audio' };
    expect(sendMessagePayloadSchema.parse({ conversationId, media: [audio], messageType: 'audio' }).messageType).toBe('audio');
    expect(sendMessagePayloadSchema.parse({ conversationId, text: 'x'.repeat(20_000), messageType: 'text' }).text).toHaveLength(20_000);
    expect(sendMessagePayloadSchema.parse({ conversationId, media: Array(11).fill(image), messageType: 'image' }).media).toHaveLength(11);
    expect(sendMessagePayloadSchema.parse({ conversationId, messageType: 'image' })).toMatchObject({ text: null, media: [] });
    expect(sendMessagePayloadSchema.parse({ conversationId, text: 'x', messageType: 'text', replyTo: 'nope' }).replyTo).toBe('nope');
  });
});

describe('client payloads: malformed ones are rejected with a message that names the problem', () => {
  it.each([
    ['null', null, 'Invalid payload: expected object, received null'],
    ['an array', [{ conversationId }], 'Invalid payload: expected object, received array'],
    ['a string', '507f1f77bcf86cd799439011', 'Invalid payload: expected object, received string'],
    ['a number', 42, 'Invalid payload: expected object, received number'],
    ['no payload', undefined, 'Invalid payload: expected object, received undefined'],
    ['no conversationId', {}, 'Invalid payload: conversationId: expected string, received undefined'],
    ['a numeric conversationId', { conversationId: 123 }, 'Invalid payload: conversationId: expected string, received number'],
    ['an oversized id', { conversationId: 'x'.repeat(257) }, 'Invalid payload: conversationId: Too big: expected string to have <=256 characters'],
  ])('join:conversation: %s', (_name, raw, message) => {
    expect(parseClientPayload(ClientEvent.JoinConversation, raw)).toEqual({ success: false, message });
  });

  it.each([
    ['no messageType', { conversationId, text: 'hi' }, 'messageType: Invalid option: expected one of "text"|"image"|"video"|"file"|"audio"'],
    ['messageType sticker', { conversationId, text: 'hi', messageType: 'sticker' }, 'messageType: Invalid option'],
    ['text a number', { conversationId, text: 5, messageType: 'text' }, 'text: expected string, received number'],
    [
      'text over the wire cap',
      { conversationId, text: 'x'.repeat(WIRE_TEXT_MAX_CHARS + 1), messageType: 'text' },
      `text: Too big: expected string to have <=${WIRE_TEXT_MAX_CHARS} characters`,
    ],
    [
      'more media than the wire cap',
      { conversationId, media: Array(WIRE_MEDIA_MAX + 1).fill(image), messageType: 'image' },
      `media: Too big: expected array to have <=${WIRE_MEDIA_MAX} items`,
    ],
    ['media not an array', { conversationId, media: image, messageType: 'image' }, 'media: expected array, received object'],
    ['negative media size', { conversationId, media: [{ ...image, size: -1 }], messageType: 'image' }, 'media[0].size: Too small: expected number to be >=0'],
    ['fractional media size', { conversationId, media: [{ ...image, size: 1.5 }], messageType: 'image' }, 'media[0].size: expected int, received number'],
    ['media type sticker', { conversationId, media: [{ ...image, type: 'sticker' }], messageType: 'image' }, 'media[0].type: Invalid option'],
    ['media without url', { conversationId, media: [{ type: 'image' }], messageType: 'image' }, 'media[0].url: expected string, received undefined'],
    ['javascript: url', { conversationId, media: [{ ...image, url: 'javascript:alert(1)' }], messageType: 'image' }, 'media[0].url: Invalid URL'],
    ['filename too long', { conversationId, media: [{ ...image, filename: 'f'.repeat(256) }], messageType: 'image' }, 'media[0].filename: Too big'],
    ['empty clientMessageId', { conversationId, text: 'hi', messageType: 'text', clientMessageId: '' }, 'clientMessageId: Too small'],
    ['clientMessageId over 64', { conversationId, text: 'hi', messageType: 'text', clientMessageId: 'c'.repeat(65) }, 'clientMessageId: Too big'],
    ['replyTo an object', { conversationId, text: 'hi', messageType: 'text', replyTo: { _id: conversationId } }, 'replyTo: expected string, received object'],
  ])('send:message: %s', (_name, raw, message) => {
    expect(messageOf(sendMessagePayloadSchema, raw)).toContain(`Invalid payload: ${message}`);
  });

  it('names every problem on one line', () => {
    const message = messageOf(sendMessagePayloadSchema, { text: 7 });
    expect(message).toBe(
      'Invalid payload: conversationId: expected string, received undefined; text: expected string, received number; ' +
        'messageType: Invalid option: expected one of "text"|"image"|"video"|"file"|"audio"',
    );
    expect(message).not.toMatch(/\n/);
  });

  it.each([
    ['missing messageIds', { conversationId }, 'messageIds: expected array, received undefined'],
    ['messageIds a string', { conversationId, messageIds: '507f1f77bcf86cd799439012' }, 'messageIds: expected array, received string'],
    ['a number among messageIds', { conversationId, messageIds: ['507f1f77bcf86cd799439012', 7] }, 'messageIds[1]: expected string, received number'],
    ['more ids than the wire cap', { conversationId, messageIds: Array(1001).fill('a') }, 'messageIds: Too big: expected array to have <=1000 items'],
  ])('message:read: %s', (_name, raw, message) => {
    expect(messageOf(messageReadPayloadSchema, raw)).toBe(`Invalid payload: ${message}`);
  });
});

describe('client payloads: keys that reach a prototype are rejected before parsing', () => {
  it('rejects an own "__proto__" key as JSON.parse creates it', () => {
    const raw: unknown = JSON.parse(`{"conversationId":"${conversationId}","__proto__":{"isAdmin":true}}`);
    expect(Object.keys(raw as object)).toContain('__proto__');
    expect(parseClientPayload(ClientEvent.JoinConversation, raw)).toEqual({
      success: false,
      message: 'Invalid payload: __proto__: forbidden key',
    });
  });

  it('rejects one nested in a media item', () => {
    const raw = JSON.parse(
      `{"conversationId":"${conversationId}","messageType":"image","media":[{"url":"https://cdn.example.com/a.jpg","type":"image","__proto__":{"polluted":1}}]}`,
    );
    expect(messageOf(sendMessagePayloadSchema, raw)).toBe('Invalid payload: media[0].__proto__: forbidden key');
  });

  it('rejects "constructor" and "prototype" keys, even inside fields the schema would strip', () => {
    expect(messageOf(conversationPayloadSchema, { conversationId, constructor: { prototype: {} } })).toBe(
      'Invalid payload: constructor: forbidden key',
    );
    expect(messageOf(conversationPayloadSchema, { conversationId, extra: [{ deep: { prototype: 1 } }] })).toBe(
      'Invalid payload: extra[0].deep.prototype: forbidden key',
    );
  });

  it('rejects nesting deeper than the wire cap and values JSON cannot produce', () => {
    let deep: unknown = {};
    for (let level = 0; level < WIRE_NESTING_MAX_DEPTH + 1; level += 1) deep = { d: deep };
    expect(messageOf(conversationPayloadSchema, { conversationId, deep })).toMatch(/^Invalid payload: deep(\.d)+: nested deeper than 16 levels$/);
    expect(messageOf(conversationPayloadSchema, { conversationId: Buffer.from(conversationId) })).toBe(
      'Invalid payload: conversationId: expected plain JSON data',
    );
  });
});
