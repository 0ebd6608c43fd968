import {
  type ConversationView,
  ErrorMessage,
  type MessageView,
  type MessagesPageView,
  type ServerToClientEvents,
  type UserView,
} from '@chat/contracts';
import { waitFor } from '@chat/runtime/testing';
import jwt from 'jsonwebtoken';
import { randomBytes, randomUUID } from 'node:crypto';
import { DEV_JWT_SECRET } from '@chat/runtime';
import { ChatSystem, type ClientSocket, collect, next } from './testing/chat-system';

/**
 * The Socket.IO API end to end (spec/socket-messaging.md and the API contract's "Socket.IO:
 * what the spec leaves open"): one system with two gateways for the whole file, real
 * socket.io clients, assertions only on what a client receives.
 */

let system: ChatSystem;

beforeAll(async () => {
  system = await ChatSystem.start({ gateways: 2 });
}, 180_000);

afterAll(async () => {
  await system?.stop();
});

// ------------------------------------------------------------------------------ helpers

type Person = { user: UserView; token: string };
type Transport = 'polling' | 'websocket';
type Payload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];
type AckAnswer = Record<string, unknown>;

const OBJECT_ID = /^[0-9a-f]{24}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const WAIT_MS = 10_000;
/** How long to keep listening for something that must not arrive, after a later event did. */
const QUIET_MS = 700;

let counter = 0;
const unique = (label: string): string => `${label} ${++counter}-${randomUUID().slice(0, 8)}`;
const unknownId = (): string => randomBytes(12).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const image = (n: number) => ({ url: `https://cdn.example.com/photos/${n}.jpg`, type: 'image' as const });

/** What a buggy or hostile client can emit: any event name, any arguments. */
interface RawEmitter {
  emit(event: string, ...args: unknown[]): unknown;
}
const raw = (socket: ClientSocket): RawEmitter => socket as unknown as RawEmitter;

function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The payload of the next `event` at each named socket; a timeout names the sockets still waiting. */
async function eachReceives<E extends keyof ServerToClientEvents>(sockets: Record<string, ClientSocket>, event: E): Promise<Payload<E>[]> {
  const waiting = new Set(Object.keys(sockets));
  const arrivals = Object.entries(sockets).map(([name, socket]) =>
    next(socket, event, () => true, WAIT_MS).then((payload) => {
      waiting.delete(name);
      return payload;
    }),
  );
  return Promise.all(arrivals).catch(() => {
    throw new Error(`no ${String(event)} within ${WAIT_MS} ms at: ${[...waiting].join(', ')}`);
  });
}

/** Emits with an acknowledgement callback and resolves with what the server acknowledged. */
function ask(socket: ClientSocket, event: string, ...args: unknown[]): Promise<AckAnswer> {
  return within(
    new Promise<AckAnswer>((resolve) => {
      raw(socket).emit(event, ...args, (answer: AckAnswer) => resolve(answer));
    }),
    `acknowledgement of ${event}`,
  );
}

async function join(socket: ClientSocket, conversationId: string): Promise<void> {
  expect(await ask(socket, 'join:conversation', { conversationId })).toEqual({ success: true, conversationId });
}

async function directConversation(from: Person, to: Person): Promise<string> {
  const created = await system.rest<ConversationView>('POST', '/api/conversations', {
    token: from.token,
    body: { participantIds: [to.user._id] },
  });
  if (!created.body.success) throw new Error(`creating a direct conversation failed: ${created.body.message}`);
  return created.body.data._id;
}

async function groupConversation(admin: Person, members: Person[], name = 'Group'): Promise<string> {
  const created = await system.rest<ConversationView>('POST', '/api/conversations', {
    token: admin.token,
    body: { participantIds: members.map((m) => m.user._id), name },
  });
  if (!created.body.success) throw new Error(`creating a group failed: ${created.body.message}`);
  return created.body.data._id;
}

const senderOf = (person: Person) => ({ _id: person.user._id, name: person.user.name, profileImage: '' });

interface Pair {
  readonly alice: Person;
  readonly bob: Person;
  readonly conversationId: string;
  /** Alice's socket (gateway 0 unless told otherwise). */
  readonly a: ClientSocket;
  /** Bob's socket (gateway 1 unless told otherwise). */
  readonly b: ClientSocket;
}

/** Two new users, their direct conversation, one socket each, both joined to its room. */
async function directPair(options: { gateways?: readonly [number, number]; transports?: Transport[] } = {}): Promise<Pair> {
  const [alice, bob] = await Promise.all([system.user('Alice'), system.user('Bob')]);
  const conversationId = await directConversation(alice, bob);
  const [gatewayA, gatewayB] = options.gateways ?? [0, 1];
  const transports = options.transports ?? ['websocket'];
  const [a, b] = await Promise.all([
    system.connect(alice.token, { gateway: gatewayA, transports }),
    system.connect(bob.token, { gateway: gatewayB, transports }),
  ]);
  await Promise.all([join(a, conversationId), join(b, conversationId)]);
  return { alice, bob, conversationId, a, b };
}

/** Sends a text and resolves once every receiver has its `new:message`; returns that message. */
async function sendText(
  from: ClientSocket,
  conversationId: string,
  receivers: readonly ClientSocket[],
  text = unique('hello'),
  extra: Record<string, unknown> = {},
): Promise<MessageView> {
  const arrivals = receivers.map((r) => next(r, 'new:message', (p) => p.message.conversationId === conversationId && p.message.text === text));
  raw(from).emit('send:message', { conversationId, text, messageType: 'text', ...extra });
  const [first] = await Promise.all(arrivals);
  return (first as Payload<'new:message'>).message;
}

/**
 * Proves the pipeline moved on past anything emitted before: a later message reaches every
 * socket of the room, then a quiet moment for stragglers. Returns the marker message.
 */
async function marker(from: ClientSocket, conversationId: string, room: readonly ClientSocket[]): Promise<MessageView> {
  const message = await sendText(from, conversationId, room, unique('marker'));
  await sleep(QUIET_MS);
  return message;
}

/** A conversation's room: the sockets joined to it, and one of them allowed to send. */
interface Room {
  readonly conversationId: string;
  readonly sockets: readonly ClientSocket[];
  readonly speaker: ClientSocket;
}

const texts = (seen: Payload<'new:message'>[]): (string | null)[] => seen.map((p) => p.message.text);

/**
 * A `send:message` refused: the `error` event and the negative acknowledgement carry
 * `message`, and nothing reaches the room (checked after a later message from `speaker` got
 * through) nor confirms the send to the sender.
 */
async function expectSendRefused(sender: ClientSocket, payload: unknown, message: string | RegExp, room: Room): Promise<void> {
  const arrivals = room.sockets.map((s) => collect(s, 'new:message'));
  const confirmations = collect(sender, 'message:sent');
  const errors = collect(sender, 'error');
  const error = next(sender, 'error');
  const expected = typeof message === 'string' ? message : expect.stringMatching(message);
  expect(await ask(sender, 'send:message', payload)).toEqual({ success: false, message: expected });
  expect(await error).toEqual({ message: expected });
  const after = await marker(room.speaker, room.conversationId, room.sockets);
  for (const seen of arrivals) expect(texts(seen)).toEqual([after.text]);
  expect(errors).toHaveLength(1);
  expect(confirmations.filter((c) => c.messageId !== after._id)).toEqual([]);
}

// --------------------------------------------------------------------------- tokens

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Tokens the contract says must be refused with "Invalid token", for a registered user. */
function invalidTokens(userId: string): [string, string][] {
  const valid = jwt.sign({ sub: userId }, DEV_JWT_SECRET, { algorithm: 'HS256', expiresIn: 3600 });
  const [header, , signature] = valid.split('.');
  return [
    ['not a JWT at all', 'not-a-jwt'],
    ['signed with another secret', jwt.sign({ sub: userId }, 'not-the-secret', { algorithm: 'HS256', expiresIn: 3600 })],
    ['alg: none, empty signature', `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: userId, iat: nowSeconds(), exp: nowSeconds() + 3600 })}.`],
    ['HS512 with the right secret', jwt.sign({ sub: userId }, DEV_JWT_SECRET, { algorithm: 'HS512', expiresIn: 3600 })],
    ['not valid yet (nbf in the future)', jwt.sign({ sub: userId, nbf: nowSeconds() + 3600, exp: nowSeconds() + 7200 }, DEV_JWT_SECRET, { algorithm: 'HS256' })],
    ['expired', jwt.sign({ sub: userId, iat: nowSeconds() - 7200, exp: nowSeconds() - 60 }, DEV_JWT_SECRET, { algorithm: 'HS256' })],
    ['payload swapped under a valid signature', `${header}.${base64url({ sub: unknownId(), exp: nowSeconds() + 3600 })}.${signature}`],
  ];
}

// ==================================================================================== tests

describe('connect', () => {
  it.each<Transport>(['websocket', 'polling'])('accepts the token in auth.token (%s)', async (transport) => {
    const alice = await system.user('Alice');
    const socket = await system.connect(alice.token, { transports: [transport] });
    expect(socket.connected).toBe(true);
  });

  it.each<Transport>(['polling', 'websocket'])(
    'accepts an Authorization: Bearer header and acts as that user (%s)',
    async (transport) => {
      const [alice, bob] = await Promise.all([system.user('Alice'), system.user('Bob')]);
      const conversationId = await directConversation(alice, bob);
      const a = await system.connect(undefined, { transports: [transport], extraHeaders: { authorization: `Bearer ${alice.token}` } });
      const b = await system.connect(bob.token, { gateway: 1 });
      await Promise.all([join(a, conversationId), join(b, conversationId)]);
      const message = await sendText(a, conversationId, [a, b]);
      expect(message.senderId).toEqual(senderOf(alice));
    },
  );

  it('accepts the user id from the userId or id claim when there is no sub', async () => {
    const alice = await system.user('Alice');
    for (const claim of ['userId', 'id']) {
      const token = jwt.sign({ [claim]: alice.user._id }, DEV_JWT_SECRET, { algorithm: 'HS256', expiresIn: 3600 });
      const socket = await system.connect(token);
      expect(socket.connected).toBe(true);
    }
  });

  it('refuses a handshake without a token: "Token required"', async () => {
    await expect(system.connect(undefined)).rejects.toThrow(ErrorMessage.AuthTokenRequired);
    await expect(system.connect(undefined, { transports: ['polling'] })).rejects.toThrow(ErrorMessage.AuthTokenRequired);
    await expect(system.connect(undefined, { extraHeaders: { authorization: 'Basic dXNlcjpwYXNz' } })).rejects.toThrow(
      ErrorMessage.AuthTokenRequired,
    );
  });

  describe('refuses every invalid token with exactly "Invalid token"', () => {
    let registered: Person;
    beforeAll(async () => {
      registered = await system.user('Registered');
    });

    it('through auth.token', async () => {
      for (const [variant, token] of invalidTokens(registered.user._id)) {
        const error = await system.connect(token).then(
          () => new Error(`${variant}: connected`),
          (err: Error) => err,
        );
        expect([variant, error.message]).toEqual([variant, ErrorMessage.AuthInvalidToken]);
      }
    });

    it.each<Transport>(['polling', 'websocket'])('through the Authorization header (%s)', async (transport) => {
      for (const [variant, token] of invalidTokens(registered.user._id)) {
        const error = await system.connect(undefined, { transports: [transport], extraHeaders: { authorization: `Bearer ${token}` } }).then(
          () => new Error(`${variant}: connected`),
          (err: Error) => err,
        );
        expect([variant, error.message]).toEqual([variant, ErrorMessage.AuthInvalidToken]);
      }
    });
  });

  it('refuses a valid token for an unknown user: "User not found" (unknown ObjectId, sub not an ObjectId)', async () => {
    await expect(system.connect(system.tokens.sign(unknownId()))).rejects.toThrow(ErrorMessage.AuthUserNotFound);
    await expect(system.connect(system.tokens.sign('not-an-object-id'))).rejects.toThrow(ErrorMessage.AuthUserNotFound);
    await expect(
      system.connect(undefined, { transports: ['polling'], extraHeaders: { authorization: `Bearer ${system.tokens.sign('alice')}` } }),
    ).rejects.toThrow(ErrorMessage.AuthUserNotFound);
  });
});

describe('transports', () => {
  it.each<Transport>(['polling', 'websocket'])('sends and receives with transports: [%s] only, across both gateways', async (transport) => {
    const { alice, bob, conversationId, a, b } = await directPair({ transports: [transport] });
    expect(a.io.engine.transport.name).toBe(transport);
    expect(b.io.engine.transport.name).toBe(transport);

    const sent = next(a, 'message:sent');
    const toBob = await sendText(a, conversationId, [a, b]);
    expect(toBob.senderId).toEqual(senderOf(alice));
    expect(await sent).toEqual({ messageId: toBob._id, conversationId });

    const toAlice = await sendText(b, conversationId, [a, b]);
    expect(toAlice.senderId).toEqual(senderOf(bob));
  });
});

describe('join:conversation', () => {
  it('acknowledges a participant with { success: true, conversationId }', async () => {
    const { conversationId, a } = await directPair();
    expect(await ask(a, 'join:conversation', { conversationId })).toEqual({ success: true, conversationId });
  });

  it.each([
    ['an unknown ObjectId', unknownId()],
    ['an id that is not an ObjectId', 'not-an-object-id'],
  ])('answers %s with "Conversation not found" (error event and ack)', async (_label, conversationId) => {
    const alice = await system.user('Alice');
    const socket = await system.connect(alice.token);
    const error = next(socket, 'error');
    expect(await ask(socket, 'join:conversation', { conversationId })).toEqual({ success: false, message: ErrorMessage.ConversationNotFound });
    expect(await error).toEqual({ message: ErrorMessage.ConversationNotFound });

    // Without an acknowledgement callback, the error event alone.
    const again = next(socket, 'error');
    socket.emit('join:conversation', { conversationId });
    expect(await again).toEqual({ message: ErrorMessage.ConversationNotFound });
  });

  it('refuses a non-participant, who then receives nothing of the room', async () => {
    const { conversationId, a, b } = await directPair();
    const outsider = await system.user('Outsider');
    const socket = await system.connect(outsider.token, { gateway: 1 });
    const overheard = collect(socket, 'new:message');
    const error = next(socket, 'error');
    expect(await ask(socket, 'join:conversation', { conversationId })).toEqual({
      success: false,
      message: ErrorMessage.NotAuthorizedToJoin,
    });
    expect(await error).toEqual({ message: ErrorMessage.NotAuthorizedToJoin });

    await marker(a, conversationId, [a, b]);
    expect(overheard).toEqual([]);
  });
});

describe('leave:conversation', () => {
  it('stops the room reaching that socket, and only that one', async () => {
    const { alice, conversationId, a, b } = await directPair();
    const a2 = await system.connect(alice.token, { gateway: 1 });
    await join(a2, conversationId);
    const heard = collect(a2, 'new:message');
    expect(await ask(a2, 'leave:conversation', { conversationId })).toEqual({ success: true });
    const after = await marker(b, conversationId, [a, b]);
    expect(after.senderId._id).not.toBe(alice.user._id);
    expect(heard).toEqual([]);
  });
});

describe('send:message', () => {
  it('reaches every socket of the room, the sender included; message:sent only to the sending socket', async () => {
    const { alice, conversationId, a, b } = await directPair({ gateways: [0, 1] });
    const a2 = await system.connect(alice.token, { gateway: 1 });
    await join(a2, conversationId);
    const confirmationsA2 = collect(a2, 'message:sent');
    const errors = collect(a, 'error');

    const text = unique('Hello Bob');
    const arrivals = [a, a2, b].map((s) => next(s, 'new:message', (p) => p.message.text === text));
    const sent = next(a, 'message:sent');
    expect(await ask(a, 'send:message', { conversationId, text, messageType: 'text' })).toEqual({
      success: true,
      messageId: expect.stringMatching(OBJECT_ID),
      conversationId,
    });
    const [own, second, other] = await Promise.all(arrivals);
    const message = (own as Payload<'new:message'>).message;
    expect(own).toEqual({
      message: {
        _id: expect.stringMatching(OBJECT_ID),
        conversationId,
        senderId: senderOf(alice),
        text,
        media: [],
        messageType: 'text',
        status: 'sent',
        replyTo: null,
        createdAt: expect.stringMatching(ISO_DATE),
        updatedAt: expect.stringMatching(ISO_DATE),
        deleted: false,
      },
    });
    expect(second).toEqual(own);
    expect(other).toEqual(own);
    expect(await sent).toEqual({ messageId: message._id, conversationId });

    // Alice's other socket never hears message:sent, not even after a later send went through.
    const later = next(a, 'message:sent', (p) => p.messageId !== message._id);
    await marker(a, conversationId, [a, a2, b]);
    await later;
    expect(confirmationsA2).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('carries media as sent, with filename and size null when absent', async () => {
    const { alice, conversationId, a, b } = await directPair();
    const media = [
      { url: 'https://res.cloudinary.com/demo/image.jpg', type: 'image', filename: 'photo.jpg', size: 245678 },
      { url: 'https://res.cloudinary.com/demo/other.png', type: 'image' },
    ];
    const arrived = next(b, 'new:message');
    a.emit('send:message', { conversationId, text: 'Check this out!', media: media as never, messageType: 'image' });
    expect(await arrived).toEqual({
      message: {
        _id: expect.stringMatching(OBJECT_ID),
        conversationId,
        senderId: senderOf(alice),
        text: 'Check this out!',
        media: [media[0], { ...media[1], filename: null, size: null }],
        messageType: 'image',
        status: 'sent',
        replyTo: null,
        createdAt: expect.stringMatching(ISO_DATE),
        updatedAt: expect.stringMatching(ISO_DATE),
        deleted: false,
      },
    });

    const mediaOnly = next(b, 'new:message');
    a.emit('send:message', { conversationId, media: [{ url: 'https://cdn.example.com/f.pdf', type: 'file', filename: 'f.pdf', size: 10 }], messageType: 'file' });
    expect((await mediaOnly).message).toMatchObject({ text: null, messageType: 'file', media: [{ type: 'file', filename: 'f.pdf', size: 10 }] });
  });

  it('accepts the limits themselves: 10,000 characters, 10 media items', async () => {
    const { conversationId, a, b } = await directPair();
    const longest = 'x'.repeat(10_000);
    expect((await sendText(a, conversationId, [a, b], longest)).text).toHaveLength(10_000);
    const arrived = next(b, 'new:message');
    a.emit('send:message', { conversationId, media: Array.from({ length: 10 }, (_, i) => image(i)), messageType: 'image' });
    expect((await arrived).message.media).toHaveLength(10);
  });

  it('populates replyTo with { _id, text, senderId }', async () => {
    const { alice, bob, conversationId, a, b } = await directPair();
    const original = await sendText(a, conversationId, [a, b], 'The original');
    const reply = await sendText(b, conversationId, [a, b], 'The reply', { replyTo: original._id });
    expect(reply).toMatchObject({
      senderId: senderOf(bob),
      text: 'The reply',
      replyTo: { _id: original._id, text: 'The original', senderId: senderOf(alice) },
    });
    expect(Object.keys(reply.replyTo ?? {}).sort()).toEqual(['_id', 'senderId', 'text']);
  });


  it('a retry with the same clientMessageId stores nothing new and confirms the first messageId', async () => {
    const { bob, conversationId, a, b } = await directPair();
    const arrivals = collect(b, 'new:message');
    const clientMessageId = `retry-${randomUUID()}`;
    const payload = { conversationId, text: 'only once', messageType: 'text', clientMessageId };

    const sent = next(a, 'message:sent');
    const first = await ask(a, 'send:message', payload);
    expect(first).toEqual({ success: true, messageId: expect.stringMatching(OBJECT_ID), conversationId });
    expect(await sent).toEqual({ messageId: first.messageId, conversationId });
    await waitFor(() => arrivals.length === 1, WAIT_MS, () => 'the first new:message');

    const sentAgain = next(a, 'message:sent');
    expect(await ask(a, 'send:message', payload)).toEqual({ success: true, messageId: first.messageId, conversationId, duplicate: true });
    expect(await sentAgain).toEqual({ messageId: first.messageId, conversationId });

    const after = await marker(a, conversationId, [a, b]);
    expect(texts(arrivals)).toEqual(['only once', after.text]);
    const history = await system.rest<MessagesPageView>('GET', `/api/conversations/${conversationId}/messages`, { token: bob.token });
    expect(history.body.success && history.body.data.messages.map((m) => m.text)).toEqual(['only once', after.text]);
  });

  it('a retry racing the first send still stores one message; both answers name it', async () => {
    const { conversationId, a, b } = await directPair();
    const arrivals = collect(b, 'new:message');
    const payload = { conversationId, text: 'sent twice at once', messageType: 'text', clientMessageId: `race-${randomUUID()}` };
    const answers = await Promise.all([ask(a, 'send:message', payload), ask(a, 'send:message', payload)]);
    const messageId = answers[0]?.messageId;
    expect(messageId).toEqual(expect.stringMatching(OBJECT_ID));
    expect(answers.map((answer) => answer.messageId)).toEqual([messageId, messageId]);
    expect(answers.filter((answer) => answer.duplicate === true)).toHaveLength(1);
    const after = await marker(a, conversationId, [a, b]);
    expect(texts(arrivals)).toEqual(['sent twice at once', after.text]);
  });

  it('a clientMessageId is a retry only for the same sender in the same conversation', async () => {
    const { alice, conversationId, a, b } = await directPair();
    const carol = await system.user('Carol');
    const elsewhere = await directConversation(alice, carol);
    await join(a, elsewhere);
    const clientMessageId = `shared-${randomUUID()}`;
    const first = await sendText(a, conversationId, [a, b], 'first', { clientMessageId });
    const fromBob = await sendText(b, conversationId, [a, b], 'from Bob', { clientMessageId });
    const otherConversation = await sendText(a, elsewhere, [a], 'elsewhere', { clientMessageId });
    expect(new Set([first._id, fromBob._id, otherConversation._id]).size).toBe(3);
  });

  describe("refusals, in the contract's order: an error naming the problem, nothing broadcast", () => {
    let pair: Pair;
    let room: Room;
    beforeAll(async () => {
      pair = await directPair();
      room = { conversationId: pair.conversationId, sockets: [pair.a, pair.b], speaker: pair.a };
    });

    it.each([
      ['an unknown conversation (a valid ObjectId)', { conversationId: unknownId(), text: 'hi', messageType: 'text' }],
      ['a conversation id that is not an ObjectId', { conversationId: 'not-an-object-id', text: 'hi', messageType: 'text' }],
      ['an unknown conversation, even with audio and no content', { conversationId: unknownId(), messageType: 'audio' }],
    ])('%s → Conversation not found', async (_label, payload) => {
      await expectSendRefused(pair.a, payload, ErrorMessage.ConversationNotFound, room);
    });

    const audio = { url: 'https://cdn.example.com/voice.mp3', type: 'audio' };
    it.each<[string, Record<string, unknown>, string | RegExp]>([
      ['messageType audio', { text: 'listen', messageType: 'audio' }, ErrorMessage.AudioNotAllowed],
      ['an audio media item', { media: [audio], messageType: 'file' }, ErrorMessage.AudioNotAllowed],
      ['an audio item among images', { media: [image(1), audio], messageType: 'image' }, ErrorMessage.AudioNotAllowed],
      ['messageType audio without content (audio comes first)', { messageType: 'audio' }, ErrorMessage.AudioNotAllowed],
      ['no text and no media', { messageType: 'text' }, ErrorMessage.MessageEmpty],
      ['blank text and no media', { text: '  \n ', messageType: 'text' }, ErrorMessage.MessageEmpty],
      ['a text of 10,001 characters', { text: 'x'.repeat(10_001), messageType: 'text' }, ErrorMessage.MessageTextTooLong],
      ['11 media items', { media: Array.from({ length: 11 }, (_, i) => image(i)), messageType: 'image' }, ErrorMessage.TooManyMedia],
      ['messageType image for a text', { text: 'hi', messageType: 'image' }, ErrorMessage.MessageTypeMismatch],
      ['messageType text for an image', { media: [image(1)], messageType: 'text' }, ErrorMessage.MessageTypeMismatch],
      ['messageType video for an image', { media: [image(1)], messageType: 'video' }, ErrorMessage.MessageTypeMismatch],
      ['replyTo an unknown message', { text: 'hi', messageType: 'text', replyTo: unknownId() }, ErrorMessage.ReplyTargetNotFound],
      ['replyTo an id that is not an ObjectId', { text: 'hi', messageType: 'text', replyTo: 'not-an-id' }, ErrorMessage.ReplyTargetNotFound],
      ['an unknown messageType', { text: 'hi', messageType: 'sticker' }, /^Invalid payload: messageType/],
      ['a clientMessageId over 64 characters', { text: 'hi', messageType: 'text', clientMessageId: 'x'.repeat(65) }, /^Invalid payload: clientMessageId/],
      ['a javascript: media url', { media: [{ url: 'javascript:alert(1)', type: 'image' }], messageType: 'image' }, /^Invalid payload: media.*url/],
    ])('%s', async (_label, content, message) => {
      await expectSendRefused(pair.a, { conversationId: pair.conversationId, ...content }, message, room);
    });

    it('replyTo a message of another conversation → Reply target not found', async () => {
      const other = await directPair();
      const elsewhere = await sendText(other.a, other.conversationId, [other.a, other.b]);
      const payload = { conversationId: pair.conversationId, text: 'hi', messageType: 'text', replyTo: elsewhere._id };
      await expectSendRefused(pair.a, payload, ErrorMessage.ReplyTargetNotFound, room);
    });

    it('stored none of them: the history holds only the messages that went through', async () => {
      const history = await system.rest<MessagesPageView>('GET', `/api/conversations/${pair.conversationId}/messages?limit=100`, {
        token: pair.bob.token,
      });
      if (!history.body.success) throw new Error(history.body.message);
      expect(history.body.data.messages.length).toBeGreaterThan(0);
      for (const message of history.body.data.messages) expect(message.text).toMatch(/^marker /);
    });
  });

  it('an outsider to a group → Not authorized to send message, whatever the content', async () => {
    const [admin, member, outsider] = await Promise.all([system.user('Admin'), system.user('Member'), system.user('Outsider')]);
    const conversationId = await groupConversation(admin, [member]);
    const [a, m, o] = await Promise.all([
      system.connect(admin.token),
      system.connect(member.token, { gateway: 1 }),
      system.connect(outsider.token),
    ]);
    await Promise.all([join(a, conversationId), join(m, conversationId)]);
    const room = { conversationId, sockets: [a, m], speaker: a };
    await expectSendRefused(o, { conversationId, text: 'let me in', messageType: 'text' }, ErrorMessage.NotAuthorizedToSend, room);
    await expectSendRefused(o, { conversationId, messageType: 'audio' }, ErrorMessage.NotAuthorizedToSend, room);
    await expectSendRefused(o, { conversationId, text: 'x'.repeat(20_000), messageType: 'text' }, ErrorMessage.NotAuthorizedToSend, room);
  });

  it('blocks: the blocker hears "You cannot send messages to a blocked user", the blocked "Action not available"', async () => {
    const { alice, bob, conversationId, a, b } = await directPair();
    expect((await system.rest('POST', `/api/users/${bob.user._id}/block`, { token: alice.token })).status).toBe(200);
    const arrivals = [collect(a, 'new:message'), collect(b, 'new:message')];
    const errorsA = collect(a, 'error');
    const errorsB = collect(b, 'error');

    // Blocks come before the content checks: audio or not, the answer is the block's.
    for (const content of [{ text: 'hi', messageType: 'text' }, { messageType: 'audio' }]) {
      expect(await ask(a, 'send:message', { conversationId, ...content })).toEqual({ success: false, message: ErrorMessage.SenderBlockedRecipient });
      expect(await ask(b, 'send:message', { conversationId, ...content })).toEqual({ success: false, message: ErrorMessage.ActionNotAvailable });
    }
    await waitFor(() => errorsA.length === 2 && errorsB.length === 2, WAIT_MS, () => 'the error events');
    expect(errorsA).toEqual([{ message: ErrorMessage.SenderBlockedRecipient }, { message: ErrorMessage.SenderBlockedRecipient }]);
    expect(errorsB).toEqual([{ message: ErrorMessage.ActionNotAvailable }, { message: ErrorMessage.ActionNotAvailable }]);

    // Once unblocked a message goes through, and it is the only one the room ever saw.
    expect((await system.rest('DELETE', `/api/users/${bob.user._id}/block`, { token: alice.token })).status).toBe(200);
    const after = await marker(a, conversationId, [a, b]);
    for (const seen of arrivals) expect(texts(seen)).toEqual([after.text]);
  });

  it('the blocked user is refused the same way when they block back, and each block is lifted separately', async () => {
    const { alice, bob, conversationId, a, b } = await directPair();
    await system.rest('POST', `/api/users/${bob.user._id}/block`, { token: alice.token });
    await system.rest('POST', `/api/users/${alice.user._id}/block`, { token: bob.token });
    await system.rest('DELETE', `/api/users/${bob.user._id}/block`, { token: alice.token });
    // Bob still blocks Alice: Alice is the blocked one now, Bob the blocker.
    expect(await ask(a, 'send:message', { conversationId, text: 'hi', messageType: 'text' })).toEqual({ success: false, message: ErrorMessage.ActionNotAvailable });
    expect(await ask(b, 'send:message', { conversationId, text: 'hi', messageType: 'text' })).toEqual({ success: false, message: ErrorMessage.SenderBlockedRecipient });
  });
});

describe('typing:start / typing:stop', () => {
  // Between gateways this goes through the Socket.IO Redis adapter: a gateway whose Redis
  // subscriber lost its subscriptions at startup shows here as 'no typing:start at: … on gateway N'.
  it('reach the other sockets of the room on both gateways, never the sender socket', async () => {
    const { alice, bob, conversationId, a, b } = await directPair({ gateways: [0, 1] });
    const [a2, b2] = await Promise.all([system.connect(alice.token, { gateway: 1 }), system.connect(bob.token, { gateway: 0 })]);
    await Promise.all([join(a2, conversationId), join(b2, conversationId)]);
    const heardByA = { start: collect(a, 'typing:start'), stop: collect(a, 'typing:stop') };

    for (const event of ['typing:start', 'typing:stop'] as const) {
      const arrivals = eachReceives({ 'Bob on gateway 1': b, 'Bob on gateway 0': b2, 'Alice on gateway 1': a2 }, event);
      expect(await ask(a, event, { conversationId })).toEqual({ success: true });
      for (const payload of await arrivals) expect(payload).toEqual({ userId: alice.user._id, conversationId });
    }
    // And the other way round, from gateway 1: Bob's own socket there hears nothing back.
    const bobEcho = collect(b, 'typing:start');
    const arrivals = eachReceives({ 'Alice on gateway 0': a, 'Alice on gateway 1': a2, 'Bob on gateway 0': b2 }, 'typing:start');
    b.emit('typing:start', { conversationId });
    for (const payload of await arrivals) expect(payload).toEqual({ userId: bob.user._id, conversationId });

    await sleep(QUIET_MS);
    // Alice's sending socket heard only Bob; Bob's sending socket heard nothing of its own.
    expect(heardByA.start).toEqual([{ userId: bob.user._id, conversationId }]);
    expect(heardByA.stop).toEqual([]);
    expect(bobEcho).toEqual([]);
  });

  it('a non-participant gets an error and nobody receives anything; an unknown conversation is not found', async () => {
    // All on one gateway: what is checked here is the refusal, not the relay between gateways.
    const { bob, conversationId, a, b } = await directPair({ gateways: [0, 0] });
    const outsider = await system.user('Outsider');
    const o = await system.connect(outsider.token, { gateway: 0 });
    const heard = [collect(a, 'typing:start'), collect(a, 'typing:stop'), collect(b, 'typing:start'), collect(b, 'typing:stop')];

    for (const event of ['typing:start', 'typing:stop'] as const) {
      const error = next(o, 'error');
      expect(await ask(o, event, { conversationId })).toEqual({ success: false, message: ErrorMessage.NotAParticipant });
      expect(await error).toEqual({ message: ErrorMessage.NotAParticipant });
      expect(await ask(o, event, { conversationId: unknownId() })).toEqual({ success: false, message: ErrorMessage.ConversationNotFound });
    }

    // Later typing from a participant gets through; nothing from the outsider ever did.
    const arrival = next(a, 'typing:stop');
    b.emit('typing:stop', { conversationId });
    await arrival;
    await sleep(QUIET_MS);
    expect(heard.flat()).toEqual([{ userId: bob.user._id, conversationId }]);
  });
});

describe('message:read', () => {
  it('marks only messages from others, tells the room exactly what changed, once; unread counts follow', async () => {
    const { alice, bob, conversationId, a, b } = await directPair();
    const m1 = await sendText(a, conversationId, [a, b]);
    const m2 = await sendText(a, conversationId, [a, b]);
    const m3 = await sendText(b, conversationId, [a, b]);
    const unreadOf = async (person: Person): Promise<number | undefined> => {
      const list = await system.rest<ConversationView[]>('GET', '/api/conversations', { token: person.token });
      if (!list.body.success) throw new Error(list.body.message);
      return list.body.data.find((c) => c._id === conversationId)?.unreadCount;
    };
    expect(await unreadOf(bob)).toBe(2);
    expect(await unreadOf(alice)).toBe(1);

    const seenA = collect(a, 'messages:read');
    const seenB = collect(b, 'messages:read');
    const readBy = (person: Person, ids: string[]) => ({ messageIds: ids, readBy: person.user._id, conversationId });
    const reads = async (socket: ClientSocket, messageIds: string[], expected?: ReturnType<typeof readBy>): Promise<void> => {
      const arrivals = expected ? [a, b].map((s) => next(s, 'messages:read', (p) => p.messageIds.join() === expected.messageIds.join())) : [];
      expect(await ask(socket, 'message:read', { conversationId, messageIds })).toEqual({ success: true, conversationId });
      for (const arrival of arrivals) expect(await arrival).toEqual(expected);
    };

    const elsewhere = await directPair();
    const foreign = await sendText(elsewhere.a, elsewhere.conversationId, [elsewhere.b]);
    // m3 is Bob's own: never marked; duplicates, unknown, foreign and malformed ids change nothing.
    await reads(b, [m1._id, m1._id, m3._id, unknownId(), foreign._id, 'not-an-id'], readBy(bob, [m1._id]));
    await reads(b, [m1._id, m3._id]); // nothing changed: nothing emitted
    await reads(b, [], readBy(bob, [m2._id])); // empty: every unread message from others
    await reads(b, []); // nothing left
    await reads(a, [], readBy(alice, [m3._id])); // proves the pipeline moved past the two silent reads
    await sleep(QUIET_MS);
    const expected = [readBy(bob, [m1._id]), readBy(bob, [m2._id]), readBy(alice, [m3._id])];
    expect(seenA).toEqual(expected);
    expect(seenB).toEqual(expected);

    expect(await unreadOf(bob)).toBe(0);
    expect(await unreadOf(alice)).toBe(0);
    const history = await system.rest<MessagesPageView>('GET', `/api/conversations/${conversationId}/messages`, { token: alice.token });
    expect(history.body.success && history.body.data.messages.map((m) => [m._id, m.status])).toEqual([
      [m1._id, 'read'],
      [m2._id, 'read'],
      [m3._id, 'read'],
    ]);
  });

  it('in a group, each participant reads for themselves', async () => {
    const [alice, bob, carol] = await Promise.all([system.user('Alice'), system.user('Bob'), system.user('Carol')]);
    const conversationId = await groupConversation(alice, [bob, carol]);
    const [a, b, c] = await Promise.all([system.connect(alice.token), system.connect(bob.token, { gateway: 1 }), system.connect(carol.token)]);
    await Promise.all([join(a, conversationId), join(b, conversationId), join(c, conversationId)]);
    const m = await sendText(a, conversationId, [a, b, c]);

    for (const [reader, socket] of [[bob, b], [carol, c]] as const) {
      const arrival = next(a, 'messages:read', (p) => p.readBy === reader.user._id);
      expect(await ask(socket, 'message:read', { conversationId, messageIds: [] })).toEqual({ success: true, conversationId });
      expect(await arrival).toEqual({ messageIds: [m._id], readBy: reader.user._id, conversationId });
    }
    const list = await system.rest<ConversationView[]>('GET', '/api/conversations', { token: carol.token });
    expect(list.body.success && list.body.data.find((conv) => conv._id === conversationId)?.unreadCount).toBe(0);
  });

  it('more than 500 message ids → an error naming the limit', async () => {
    const { conversationId, a } = await directPair();
    const ids = Array.from({ length: 501 }, unknownId);
    const error = next(a, 'error');
    expect(await ask(a, 'message:read', { conversationId, messageIds: ids })).toEqual({ success: false, message: ErrorMessage.TooManyMessageIds });
    expect(await error).toEqual({ message: ErrorMessage.TooManyMessageIds });
  });

  it('a non-participant gets an error and nothing is emitted', async () => {
    const { bob, conversationId, a, b } = await directPair();
    const m1 = await sendText(a, conversationId, [a, b]);
    const outsider = await system.user('Outsider');
    const o = await system.connect(outsider.token);
    const seen = collect(a, 'messages:read');

    const error = next(o, 'error');
    expect(await ask(o, 'message:read', { conversationId, messageIds: [m1._id] })).toEqual({ success: false, message: ErrorMessage.NotAParticipant });
    expect(await error).toEqual({ message: ErrorMessage.NotAParticipant });
    const unknown = next(o, 'error');
    o.emit('message:read', { conversationId: unknownId(), messageIds: [] });
    expect(await unknown).toEqual({ message: ErrorMessage.ConversationNotFound });

    const arrival = next(a, 'messages:read');
    b.emit('message:read', { conversationId, messageIds: [] });
    await arrival;
    await sleep(QUIET_MS);
    expect(seen).toEqual([{ messageIds: [m1._id], readBy: bob.user._id, conversationId }]);
  });
});

describe('message:deleted', () => {
  it('the sender deletes through REST: the room gets { messageId, conversationId }; anyone else gets 403', async () => {
    const { alice, bob, conversationId, a, b } = await directPair();
    const message = await sendText(a, conversationId, [a, b]);
    const seenA = collect(a, 'message:deleted');
    const seenB = collect(b, 'message:deleted');

    const refused = await system.rest('DELETE', `/api/messages/${message._id}`, { token: bob.token });
    expect(refused).toEqual({ status: 403, body: { success: false, message: ErrorMessage.NotMessageSender } });

    const arrivals = [a, b].map((s) => next(s, 'message:deleted'));
    const deleted = await system.rest<MessageView>('DELETE', `/api/messages/${message._id}`, { token: alice.token });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ success: true, data: { _id: message._id, conversationId, text: null, media: [], deleted: true } });
    for (const arrival of arrivals) expect(await arrival).toEqual({ messageId: message._id, conversationId });

    await marker(a, conversationId, [a, b]);
    expect(seenA).toEqual([{ messageId: message._id, conversationId }]);
    expect(seenB).toEqual([{ messageId: message._id, conversationId }]);
    const history = await system.rest<MessagesPageView>('GET', `/api/conversations/${conversationId}/messages`, { token: bob.token });
    expect(history.body.success && history.body.data.messages[0]).toMatchObject({ _id: message._id, deleted: true, text: null, media: [] });
  });

  it('deleting again changes nothing; outsiders, unknown and malformed ids are refused without any event', async () => {
    const { alice, conversationId, a, b } = await directPair();
    const message = await sendText(a, conversationId, [a, b]);
    const seen = collect(b, 'message:deleted');
    const outsider = await system.user('Outsider');

    const byOutsider = await system.rest('DELETE', `/api/messages/${message._id}`, { token: outsider.token });
    expect([403, 404]).toContain(byOutsider.status);
    expect(byOutsider.body.success).toBe(false);
    for (const id of [unknownId(), 'not-an-id']) {
      expect(await system.rest('DELETE', `/api/messages/${id}`, { token: alice.token })).toEqual({
        status: 404,
        body: { success: false, message: ErrorMessage.MessageNotFound },
      });
    }
    expect((await system.rest('DELETE', `/api/messages/${message._id}`, { token: alice.token })).status).toBe(200);
    expect((await system.rest('DELETE', `/api/messages/${message._id}`, { token: alice.token })).status).toBe(200);

    await marker(a, conversationId, [a, b]);
    expect(seen).toEqual([{ messageId: message._id, conversationId }]);
  });
});

describe('two gateways', () => {
  it('a message sent through gateway 0 reaches a client on gateway 1, and the other way round', async () => {
    const { alice, bob, conversationId, a, b } = await directPair({ gateways: [0, 1] });
    const fromAlice = await sendText(a, conversationId, [b]);
    expect(fromAlice.senderId).toEqual(senderOf(alice));
    const fromBob = await sendText(b, conversationId, [a]);
    expect(fromBob.senderId).toEqual(senderOf(bob));
  });
});

describe('hardening', () => {
  it("a client emitting an event named 'error' does not crash the server", async () => {
    const { alice, conversationId, a, b } = await directPair({ gateways: [0, 1] });
    raw(a).emit('error', { message: 'boom' });
    raw(a).emit('error');
    raw(b).emit('error', 'boom');
    raw(b).emit('error', { message: 'boom' }, () => undefined);

    // The same sockets still work, through both gateways...
    await sendText(a, conversationId, [a, b]);
    await sendText(b, conversationId, [a, b]);
    // ...and so do new ones, on both gateways.
    const [a2, b2] = await Promise.all([system.connect(alice.token, { gateway: 0 }), system.connect(alice.token, { gateway: 1 })]);
    await Promise.all([join(a2, conversationId), join(b2, conversationId)]);
    await sendText(a2, conversationId, [a, b, b2]);
    expect(a.connected && b.connected).toBe(true);
  });

  it('unknown event names are ignored and the socket stays usable', async () => {
    const { conversationId, a, b } = await directPair();
    const errors = collect(a, 'error');
    const names = ['hello', 'admin:shutdown', 'send:messages', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 42 as unknown as string];
    for (const event of names) {
      raw(a).emit(event, { conversationId });
      raw(a).emit(event);
      raw(a).emit(event, { conversationId }, () => undefined);
    }
    await sendText(a, conversationId, [a, b]);
    expect(await ask(a, 'typing:start', { conversationId })).toEqual({ success: true });
    expect(errors).toEqual([]);
  });

  it('non-object payloads to every client event: an error each, and the socket stays usable', async () => {
    const { conversationId, a, b } = await directPair();
    const errors = collect(a, 'error');
    const events = ['join:conversation', 'leave:conversation', 'send:message', 'typing:start', 'typing:stop', 'message:read'];
    const payloads: [string, unknown[]][] = [
      ['a string', ['hello']],
      ['a number', [42]],
      ['null', [null]],
      ['an array', [[conversationId]]],
      ['no payload', []],
      ['binary data', [Buffer.from('{"conversationId":"x"}')]],
    ];
    for (const event of events) for (const [, args] of payloads) raw(a).emit(event, ...args);
    await waitFor(() => errors.length >= events.length * payloads.length, WAIT_MS, () => `${events.length * payloads.length} errors, got ${errors.length}`);
    expect(errors).toHaveLength(events.length * payloads.length);
    for (const error of errors) expect(error).toEqual({ message: expect.stringMatching(/^Invalid payload: /) });

    // With an acknowledgement, the same answer comes back through it.
    expect(await ask(a, 'send:message', 'hello')).toEqual({ success: false, message: expect.stringMatching(/^Invalid payload: /) });
    expect(await ask(a, 'join:conversation')).toEqual({ success: false, message: expect.stringMatching(/^Invalid payload: /) });

    await join(a, conversationId);
    await sendText(a, conversationId, [a, b]);
  });

  it.each([
    ['join:conversation', '__proto__', (id: string) => `{"conversationId":"${id}","__proto__":{"x":1}}`],
    ['send:message', '__proto__', (id: string) => `{"conversationId":"${id}","text":"hi","messageType":"text","__proto__":{"isAdmin":true}}`],
    [
      'send:message',
      '__proto__',
      (id: string) => `{"conversationId":"${id}","media":[{"url":"https://cdn.example.com/a.jpg","type":"image","__proto__":{"x":1}}],"messageType":"image"}`,
    ],
    ['message:read', 'constructor', (id: string) => `{"conversationId":"${id}","messageIds":[],"constructor":{"prototype":{"x":1}}}`],
  ])('%s with a %s key (case %#) → an error naming it, nothing else happens', async (event, key, json) => {
    const { conversationId, a, b } = await directPair();
    const payload: unknown = JSON.parse(json(conversationId));
    expect(JSON.stringify(payload)).toContain(`"${key}":`); // the client really sends the key
    const arrivals = collect(b, 'new:message');
    const reads = collect(b, 'messages:read');
    const error = next(a, 'error');
    const refusal = expect.stringMatching(new RegExp(`^Invalid payload: .*${key}.*forbidden key`));
    expect(await ask(a, event, payload)).toEqual({ success: false, message: refusal });
    expect(await error).toEqual({ message: refusal });
    const after = await marker(a, conversationId, [a, b]);
    expect(texts(arrivals)).toEqual([after.text]);
    expect(reads).toEqual([]);
  });

  it('a payload nested 2,000 levels deep, or carrying binary fields → an error naming it; the socket stays usable', async () => {
    const { conversationId, a, b } = await directPair();
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 2_000; i++) deep = { inner: deep };
    const error = next(a, 'error');
    expect(await ask(a, 'join:conversation', { conversationId, deep })).toEqual({
      success: false,
      message: expect.stringMatching(/^Invalid payload: .*nested deeper than 16 levels/),
    });
    expect(await error).toEqual({ message: expect.stringMatching(/nested deeper/) });
    expect(await ask(a, 'send:message', { conversationId, text: Buffer.from('hi'), messageType: 'text' })).toEqual({
      success: false,
      message: expect.stringMatching(/^Invalid payload: text/),
    });
    expect(await ask(a, 'send:message', { conversationId, text: 'hi', messageType: 'text', extra: Buffer.from('hi') })).toEqual({
      success: false,
      message: expect.stringMatching(/^Invalid payload: extra/),
    });
    await sendText(a, conversationId, [a, b]);
  });

  it('a text longer than 65,536 characters → an error naming the text', async () => {
    const { conversationId, a, b } = await directPair();
    const room = { conversationId, sockets: [a, b], speaker: a };
    await expectSendRefused(a, { conversationId, text: 'x'.repeat(65_537), messageType: 'text' }, /^Invalid payload: text: .*65536/, room);
  });

  it.each<Transport>(['websocket', 'polling'])(
    'a message larger than maxHttpBufferSize (512 KiB) closes that socket (%s); other users are unaffected',
    async (transport) => {
      const { alice, conversationId, a, b } = await directPair({ transports: [transport] });
      const other = await directPair({ gateways: [0, 0] });
      const arrivals = collect(b, 'new:message');
      const closed = new Promise<string>((resolve) => a.once('disconnect', (reason) => resolve(reason)));
      raw(a).emit('send:message', { conversationId, text: 'x'.repeat(600 * 1024), messageType: 'text' });
      expect(['transport close', 'transport error']).toContain(await within(closed, 'disconnect'));

      // Bob, and a pair of users on the same gateway, carry on; Alice can come back.
      expect(b.connected).toBe(true);
      await sendText(other.a, other.conversationId, [other.a, other.b]);
      await sendText(other.b, other.conversationId, [other.a, other.b]);
      const again = await system.connect(alice.token, { transports: [transport] });
      await join(again, conversationId);
      const after = await sendText(again, conversationId, [again, b]);
      await sleep(QUIET_MS);
      expect(texts(arrivals)).toEqual([after.text]);
    },
  );

  it("a flood of 400 typing:start → 'Too many requests, slow down' for that socket only; others carry on", async () => {
    // The flooder's partner listens on the same gateway: every relayed event arrives locally.
    const flooder = await directPair({ gateways: [0, 0] });
    const other = await directPair({ gateways: [0, 1] });
    const floodErrors = collect(flooder.a, 'error');
    const typingSeen = collect(flooder.b, 'typing:start');
    const otherErrors = [collect(other.a, 'error'), collect(other.b, 'error')];
    const events = 400;

    for (let i = 0; i < events; i++) flooder.a.emit('typing:start', { conversationId: flooder.conversationId });
    // In parallel, another user sends and receives as usual, both ways, on the same gateways.
    await sendText(other.a, other.conversationId, [other.a, other.b]);
    await sendText(other.b, other.conversationId, [other.a, other.b]);

    // Every flooded event is answered one way or the other: relayed, or refused.
    await waitFor(
      () => floodErrors.length + typingSeen.length >= events,
      WAIT_MS,
      () => `${events} answers, got ${floodErrors.length} errors and ${typingSeen.length} relayed`,
    );
    expect(floodErrors.length).toBeGreaterThan(0);
    expect(new Set(floodErrors.map((e) => e.message))).toEqual(new Set([ErrorMessage.TooManyRequests]));
    expect(floodErrors.length + typingSeen.length).toBe(events);
    for (const errors of otherErrors) expect(errors).toEqual([]);

    // A flood is refused, not punished: once it stops, the socket is served again.
    await waitFor(
      async () => (await ask(flooder.a, 'typing:stop', { conversationId: flooder.conversationId })).success === true,
      WAIT_MS,
      () => 'the flooding socket to be served again',
    );
  });
});
