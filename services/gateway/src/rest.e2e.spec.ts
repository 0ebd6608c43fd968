import {
  type AckResponse,
  type ConversationView,
  ErrorMessage,
  type MessagesPageView,
  type MessageView,
  type SendMessageAck,
  type UserView,
} from '@chat/contracts';
import jwt from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '@chat/runtime';
import { DEV_ADMIN_API_KEY } from './config/gateway-config';
import { ChatSystem, type ClientSocket, type RestAnswer, collect, next } from './testing/chat-system';

// The REST API end to end (API contract, "REST" and "Identity"): every route through the
// wire, against the whole system as `npm start` runs it. One system for the file; every test
// registers users of its own, so tests share no state and can run in any order.

let system: ChatSystem;

beforeAll(async () => {
  system = await ChatSystem.start();
}, 180_000);

afterAll(async () => {
  await system?.stop();
});

// ------------------------------------------------------------------------------ helpers

const ADMIN = { 'x-admin-key': DEV_ADMIN_API_KEY };
const OBJECT_ID = /^[0-9a-f]{24}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A well-formed ObjectId that names nothing in this system. */
const UNKNOWN_ID = '0123456789abcdef01234567';
/** Ids that are not ObjectIds: each must be answered "not found", never a server error. */
const NOT_OBJECT_IDS = [
  'abc',
  '0123456789abcdef0123456g', // 24 characters, one not hex
  '0123456789abcdef012345678', // 25 hex digits
  'x'.repeat(300),
  encodeURIComponent('{"$gt":""}'),
  encodeURIComponent('507f1f77bcf86cd799439011 '),
];

const USER_KEYS = ['_id', 'name', 'profileImage'];
const CONVERSATION_KEYS = ['_id', 'admins', 'createdAt', 'groupImage', 'lastMessage', 'name', 'participants', 'type', 'unreadCount', 'updatedAt'];
const MESSAGE_KEYS = ['_id', 'conversationId', 'createdAt', 'deleted', 'media', 'messageType', 'replyTo', 'senderId', 'status', 'text', 'updatedAt'];

type Account = { user: UserView; token: string };

/** `{ success: true, data }` with this status (and nothing else in the body); returns `data`. */
function ok<T>(answer: RestAnswer<T>, status = 200): T {
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status, body: { success: true } });
  expect(Object.keys(answer.body).sort()).toEqual(['data', 'success']);
  return (answer.body as { data: T }).data;
}

/** `{ success: false, message }` with this status; the message exactly, matching, or any non-empty one. */
function failed(answer: RestAnswer, status: number, message?: string | RegExp): string {
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status, body: { success: false } });
  expect(Object.keys(answer.body).sort()).toEqual(['message', 'success']);
  const text = (answer.body as { message: unknown }).message;
  expect(typeof text).toBe('string');
  if (typeof message === 'string') expect(text).toBe(message);
  else if (message) expect(text).toMatch(message);
  else expect((text as string).length).toBeGreaterThan(0);
  return text as string;
}

function expectUser(user: unknown): void {
  expect(Object.keys(user as object).sort()).toEqual(USER_KEYS);
  const { _id, name, profileImage } = user as UserView;
  expect(_id).toMatch(OBJECT_ID);
  expect(typeof name).toBe('string');
  expect(typeof profileImage).toBe('string');
}

function expectMessage(message: unknown): void {
  expect(Object.keys(message as object).sort()).toEqual(MESSAGE_KEYS);
  const m = message as MessageView;
  expect(m._id).toMatch(OBJECT_ID);
  expect(m.conversationId).toMatch(OBJECT_ID);
  expectUser(m.senderId);
  expect(m.text === null || typeof m.text === 'string').toBe(true);
  expect(Array.isArray(m.media)).toBe(true);
  expect(['text', 'image', 'video', 'file']).toContain(m.messageType);
  expect(['sent', 'delivered', 'read']).toContain(m.status);
  expect(typeof m.deleted).toBe('boolean');
  expect(m.createdAt).toMatch(ISO_DATE);
  expect(m.updatedAt).toMatch(ISO_DATE);
}

function expectConversation(conversation: unknown): void {
  expect(Object.keys(conversation as object).sort()).toEqual(CONVERSATION_KEYS);
  const c = conversation as ConversationView;
  expect(c._id).toMatch(OBJECT_ID);
  expect(['direct', 'group']).toContain(c.type);
  expect(c.name === null || typeof c.name === 'string').toBe(true);
  expect(c.groupImage === null || typeof c.groupImage === 'string').toBe(true);
  expect(Array.isArray(c.participants)).toBe(true);
  c.participants.forEach(expectUser);
  expect(Array.isArray(c.admins)).toBe(true);
  c.admins.forEach((id) => expect(id).toMatch(OBJECT_ID));
  if (c.lastMessage !== null) expectMessage(c.lastMessage);
  expect(Number.isInteger(c.unreadCount) && c.unreadCount >= 0).toBe(true);
  expect(c.createdAt).toMatch(ISO_DATE);
  expect(c.updatedAt).toMatch(ISO_DATE);
}

const ids = (items: readonly { _id: string }[]): string[] => items.map((item) => item._id);
const sorted = (values: readonly string[]): string[] => [...values].sort();

let userCount = 0;
/** A freshly registered user with a unique name. */
async function account(name = 'User'): Promise<Account> {
  userCount += 1;
  return system.user(`${name} ${userCount}`);
}

/** Several fresh users, registered one after the other. */
async function accounts<N extends string[]>(...names: N): Promise<{ [K in keyof N]: Account }> {
  const result: Account[] = [];
  for (const name of names) result.push(await account(name));
  return result as { [K in keyof N]: Account };
}

/** Polls `read` until `done` holds (the read side is eventually consistent); returns the last value. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value).slice(0, 2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function createConversation(caller: Account, participantIds: string[], name?: string): Promise<RestAnswer<ConversationView>> {
  return system.rest<ConversationView>('POST', '/api/conversations', {
    token: caller.token,
    body: name === undefined ? { participantIds } : { participantIds, name },
  });
}

async function direct(a: Account, b: Account): Promise<ConversationView> {
  return ok(await createConversation(a, [b.user._id]), 201);
}

async function group(admin: Account, members: Account[], name = 'Group'): Promise<ConversationView> {
  return ok(
    await createConversation(
      admin,
      members.map((member) => member.user._id),
      name,
    ),
    201,
  );
}

async function page(caller: Account, conversationId: string, query = ''): Promise<RestAnswer<MessagesPageView>> {
  return system.rest<MessagesPageView>('GET', `/api/conversations/${conversationId}/messages${query}`, { token: caller.token });
}

async function list(caller: Account): Promise<ConversationView[]> {
  return ok(await system.rest<ConversationView[]>('GET', '/api/conversations', { token: caller.token }));
}

/** `send:message` with an acknowledgement; the acknowledgement as it came. */
function emitSend(socket: ClientSocket, conversationId: string, text: string): Promise<AckResponse<SendMessageAck>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no acknowledgement for send:message '${text}'`)), 30_000);
    socket.emit('send:message', { conversationId, text, messageType: 'text' }, (ack) => {
      clearTimeout(timer);
      resolve(ack);
    });
  });
}

/** Sends a text message and returns its id (the write side accepted it). */
async function send(socket: ClientSocket, conversationId: string, text: string): Promise<string> {
  const ack = await emitSend(socket, conversationId, text);
  if (!ack.success) throw new Error(`send:message '${text}' failed: ${ack.message}`);
  return ack.messageId;
}

/** `join:conversation`, acknowledged. */
async function join(socket: ClientSocket, conversationId: string): Promise<void> {
  const ack = await new Promise<AckResponse>((resolve) => socket.emit('join:conversation', { conversationId }, resolve));
  expect(ack).toMatchObject({ success: true });
}

/** Waits until `caller`'s history of the conversation shows every message of `messageIds`. */
async function historyShows(caller: Account, conversationId: string, messageIds: readonly string[]): Promise<void> {
  await eventually(
    async () => ok(await page(caller, conversationId, '?limit=100')),
    ({ messages }) => messageIds.every((id) => messages.some((m) => m._id === id)),
    `the history of ${conversationId} to show ${messageIds.length} message(s)`,
  );
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

// ------------------------------------------------------------------------------ health

describe('GET /health', () => {
  it.each(['/health', '/api/health'])('%s answers 200 with status ok and every check named', async (path) => {
    const answer = await fetch(`${system.url}${path}`);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { status: string; checks: Record<string, { ok: boolean }>; failing: string[] };
    expect(body.status).toBe('ok');
    for (const name of ['kafka', 'mongodb', 'redis', 'messaging', 'projections']) {
      expect(body.checks[name]).toMatchObject({ ok: true });
    }
    expect(body.failing).toEqual([]);
  });
});

// ------------------------------------------------------------------------------ users

describe('POST /api/users (registration, admin key)', () => {
  const register = (body: unknown, headers: Record<string, string> = ADMIN): Promise<RestAnswer<UserView>> =>
    system.rest<UserView>('POST', '/api/users', { body, headers });

  it('registers a user: 201 with exactly { _id, name, profileImage }, profileImage "" when none', async () => {
    const user = ok(await register({ name: 'Registered Without Image' }), 201);
    expectUser(user);
    expect(user).toEqual({ _id: expect.stringMatching(OBJECT_ID), name: 'Registered Without Image', profileImage: '' });
  });

  it('keeps a profileImage url', async () => {
    const profileImage = 'https://images.example.com/alice.png';
    const user = ok(await register({ name: 'With Image', profileImage }), 201);
    expect(user).toEqual({ _id: expect.stringMatching(OBJECT_ID), name: 'With Image', profileImage });
  });

  it('uses a given _id; the same registration again is 200 with the same user; the same _id with another name is 409', async () => {
    const _id = new Array(24)
      .fill(0)
      .map(() => Math.floor(Math.random() * 16).toString(16))
      .join('');
    const first = ok(await register({ name: 'Given Id', _id }), 201);
    expect(first).toEqual({ _id, name: 'Given Id', profileImage: '' });

    const again = ok(await register({ name: 'Given Id', _id }), 200);
    expect(again).toEqual(first);

    failed(await register({ name: 'Someone Else', _id }), 409, ErrorMessage.UserAlreadyExists);

    // The registered id is the one a token names.
    const me = ok(await system.rest<UserView>('GET', '/api/users/me', { token: system.tokens.sign(_id) }));
    expect(me).toEqual(first);
  });

  it('refuses a missing or wrong X-Admin-Key with 401', async () => {
    failed(await register({ name: 'No Key' }, {}), 401, ErrorMessage.InvalidAdminKey);
    failed(await register({ name: 'Wrong Key' }, { 'x-admin-key': 'not-the-key' }), 401, ErrorMessage.InvalidAdminKey);
    failed(await register({ name: 'Almost Key' }, { 'x-admin-key': `${DEV_ADMIN_API_KEY}x` }), 401, ErrorMessage.InvalidAdminKey);
    failed(await register({ name: 'Empty Key' }, { 'x-admin-key': '' }), 401, ErrorMessage.InvalidAdminKey);
    // A user's token is no admin key.
    const somebody = await account('Not Admin');
    const answer = await system.rest('POST', '/api/users', { token: somebody.token, body: { name: 'By A User' } });
    failed(answer, 401, ErrorMessage.InvalidAdminKey);
  });

  it.each<[string, unknown]>([
    ['no body fields', {}],
    ['no name', { profileImage: 'https://example.com/a.png' }],
    ['a name that is not a string', { name: 42 }],
    ['a name that is null', { name: null }],
    ['a blank name', { name: '   ' }],
    ['a name over 100 characters', { name: 'n'.repeat(101) }],
    ['an _id that is not an ObjectId', { name: 'Bad Id', _id: 'abc' }],
    ['a profileImage that is no http(s) url', { name: 'Bad Image', profileImage: 'javascript:alert(1)' }],
    ['a __proto__ key', '{"name":"Proto","__proto__":{"isAdmin":true}}'],
    ['a nested __proto__ key', '{"name":"Proto","extra":{"__proto__":{"isAdmin":true}}}'],
    ['a constructor key', '{"name":"Ctor","constructor":{"prototype":{"isAdmin":true}}}'],
    ['malformed JSON text', '{"name": "Broken"'],
    ['a JSON array', [{ name: 'In An Array' }]],
    ['a JSON string', '"just a string"'],
  ])('answers 400 with a message for %s', async (_, body) => {
    failed(await register(body), 400);
  });

  it('answers 413 { success: false, message } to a body that is too large', async () => {
    failed(await register({ name: 'x'.repeat(200_000) }), 413);
  });

  it('answers two identical registrations racing each other once 201 and once 200', async () => {
    const _id = `${Date.now().toString(16).padStart(12, '0')}${'b'.repeat(12)}`;
    const answers = await Promise.all([register({ name: 'Racer', _id }), register({ name: 'Racer', _id })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
    for (const answer of answers) expect(ok(answer, answer.status)).toEqual({ _id, name: 'Racer', profileImage: '' });
  });

  it('ignores unknown extra fields', async () => {
    const user = ok(await register({ name: 'Extra Fields', isAdmin: true, role: 'admin', blocks: ['x'] }), 201);
    expect(user).toEqual({ _id: expect.stringMatching(OBJECT_ID), name: 'Extra Fields', profileImage: '' });
  });
});

describe('authentication on every user route', () => {
  // Every row has its three cells (jest-each takes a missing one for a `done` callback).
  const routes: [string, string, unknown][] = [
    ['GET', '/api/users/me', undefined],
    ['POST', `/api/users/${UNKNOWN_ID}/block`, undefined],
    ['DELETE', `/api/users/${UNKNOWN_ID}/block`, undefined],
    ['POST', '/api/conversations', { participantIds: [UNKNOWN_ID] }],
    ['GET', '/api/conversations', undefined],
    ['GET', `/api/conversations/${UNKNOWN_ID}`, undefined],
    ['GET', `/api/conversations/${UNKNOWN_ID}/messages`, undefined],
    ['POST', `/api/conversations/${UNKNOWN_ID}/participants`, { userIds: [UNKNOWN_ID] }],
    ['DELETE', `/api/conversations/${UNKNOWN_ID}/participants/${UNKNOWN_ID}`, undefined],
    ['DELETE', `/api/messages/${UNKNOWN_ID}`, undefined],
  ];

  it.each(routes)('%s %s: 401 without a token, with a bad token, for an unknown user', async (method, path, body) => {
    const call = (headers: Record<string, string>) => system.rest(method, path, { headers, ...(body === undefined ? {} : { body }) });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const realUser = (await account('Token Owner')).user._id;

    failed(await call({}), 401, ErrorMessage.AuthTokenRequired);

    const invalid = [
      'not-a-jwt',
      jwt.sign({ sub: realUser }, 'another-secret', { algorithm: 'HS256' }),
      jwt.sign({ sub: realUser, exp: Math.floor(Date.now() / 1000) - 60 }, DEV_JWT_SECRET, { algorithm: 'HS256' }),
      jwt.sign({ sub: realUser }, DEV_JWT_SECRET, { algorithm: 'HS512' }),
      `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: realUser })}.`,
      `${system.tokens.sign(realUser).slice(0, -3)}abc`, // signature tampered
    ];
    for (const token of invalid) failed(await call(bearer(token)), 401, ErrorMessage.AuthInvalidToken);

    failed(await call(bearer(system.tokens.sign(UNKNOWN_ID))), 401, ErrorMessage.AuthUserNotFound);
    failed(await call(bearer(system.tokens.sign('not-an-object-id'))), 401, ErrorMessage.AuthUserNotFound);
  });

  it('takes the user id from sub, else userId, else id', async () => {
    const alice = await account('Claims');
    for (const claims of [{ sub: alice.user._id }, { userId: alice.user._id }, { id: alice.user._id }]) {
      const token = jwt.sign(claims, DEV_JWT_SECRET, { algorithm: 'HS256', expiresIn: 600 });
      expect(ok(await system.rest<UserView>('GET', '/api/users/me', { token }))).toEqual(alice.user);
    }
  });
});

describe('GET /api/users/me', () => {
  it('answers the caller as a User', async () => {
    const alice = await account('Me');
    const me = ok(await system.rest<UserView>('GET', '/api/users/me', { token: alice.token }));
    expectUser(me);
    expect(me).toEqual(alice.user);
  });
});

describe('blocks: POST / DELETE /api/users/:userId/block', () => {
  const block = (method: 'POST' | 'DELETE', caller: Account, target: string) =>
    system.rest<unknown>(method, `/api/users/${target}/block`, { token: caller.token });

  it('blocks and unblocks, each idempotent, and the block takes effect on sending', async () => {
    const [alice, bob] = await accounts('Blocker', 'Blocked');
    const conversation = await direct(alice, bob);
    const a = await system.connect(alice.token);
    const b = await system.connect(bob.token);

    ok(await block('POST', alice, bob.user._id));
    ok(await block('POST', alice, bob.user._id)); // twice is fine

    expect(await emitSend(b, conversation._id, 'to the one who blocked me')).toEqual({ success: false, message: ErrorMessage.ActionNotAvailable });
    expect(await emitSend(a, conversation._id, 'to the one I blocked')).toEqual({
      success: false,
      message: ErrorMessage.SenderBlockedRecipient,
    });

    ok(await block('DELETE', alice, bob.user._id));
    ok(await block('DELETE', alice, bob.user._id)); // twice is fine
    ok(await block('DELETE', bob, alice.user._id)); // never blocked: fine too

    const messageId = await send(b, conversation._id, 'unblocked now');
    await historyShows(alice, conversation._id, [messageId]);
  });

  it('holds a block made before the two have a conversation', async () => {
    const [alice, bob] = await accounts('Early Blocker', 'Early Blocked');
    ok(await block('POST', alice, bob.user._id));
    const conversation = ok(await createConversation(bob, [alice.user._id]), 201);
    const b = await system.connect(bob.token);
    expect(await emitSend(b, conversation._id, 'hello?')).toEqual({ success: false, message: ErrorMessage.ActionNotAvailable });
    expect(ok(await page(alice, conversation._id)).messages).toEqual([]);
  });

  it.each<['POST' | 'DELETE']>([['POST'], ['DELETE']])('%s: 404 for an unknown user and for an id that is not an ObjectId', async (method) => {
    const alice = await account('Blocker Of Nobody');
    failed(await block(method, alice, UNKNOWN_ID), 404, ErrorMessage.UserNotFound);
    for (const id of NOT_OBJECT_IDS) failed(await block(method, alice, id), 404);
  });

  it('answers 400 to blocking (or unblocking) yourself', async () => {
    const alice = await account('Self Blocker');
    failed(await block('POST', alice, alice.user._id), 400, ErrorMessage.CannotBlockSelf);
    failed(await block('DELETE', alice, alice.user._id), 400, ErrorMessage.CannotBlockSelf);
  });
});

// ------------------------------------------------------------------------------ conversations

describe('POST /api/conversations', () => {
  it('creates the direct conversation once (201) and returns it again to either user (200)', async () => {
    const [alice, bob] = await accounts('Direct A', 'Direct B');
    const created = ok(await createConversation(alice, [bob.user._id]), 201);
    expectConversation(created);
    expect(created).toMatchObject({
      type: 'direct',
      name: null,
      groupImage: null,
      admins: [],
      lastMessage: null,
      unreadCount: 0,
    });
    expect(sorted(ids(created.participants))).toEqual(sorted([alice.user._id, bob.user._id]));
    expect(created.participants).toEqual(expect.arrayContaining([alice.user, bob.user]));

    const again = ok(await createConversation(alice, [bob.user._id]), 200);
    expect(again._id).toBe(created._id);
    const fromBob = ok(await createConversation(bob, [alice.user._id]), 200);
    expectConversation(fromBob);
    expect(fromBob._id).toBe(created._id);
    expect(sorted(ids(fromBob.participants))).toEqual(sorted([alice.user._id, bob.user._id]));
    // Naming yourself as well, or the other twice, still asks for the same direct conversation.
    expect(ok(await createConversation(bob, [alice.user._id, bob.user._id]), 200)._id).toBe(created._id);
    expect(ok(await createConversation(bob, [alice.user._id, alice.user._id]), 200)._id).toBe(created._id);
    // An empty name is no name.
    expect(ok(await createConversation(bob, [alice.user._id], ''), 200)._id).toBe(created._id);
  });

  it('answers both users asking for their direct conversation at once with one 201 and one 200, the same conversation', async () => {
    const [alice, bob] = await accounts('Race A', 'Race B');
    const answers = await Promise.all([createConversation(alice, [bob.user._id]), createConversation(bob, [alice.user._id])]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
    const [first, second] = answers.map((answer) => ok(answer, answer.status));
    expect(first?._id).toBe(second?._id);
    expect(ids(await list(alice))).toEqual([first?._id]);
  });

  it('creates a group (201) when a name is given, with the caller as admin and participant', async () => {
    const [alice, bob, carol] = await accounts('Group Admin', 'Group B', 'Group C');
    const created = ok(await createConversation(alice, [bob.user._id, carol.user._id], 'Team'), 201);
    expectConversation(created);
    expect(created).toMatchObject({ type: 'group', name: 'Team', groupImage: null, admins: [alice.user._id], lastMessage: null, unreadCount: 0 });
    expect(sorted(ids(created.participants))).toEqual(sorted([alice.user._id, bob.user._id, carol.user._id]));

    // One other participant and a name: a group too, a new one each time.
    const pair = ok(await createConversation(alice, [bob.user._id], 'Pair'), 201);
    expect(pair).toMatchObject({ type: 'group', name: 'Pair', admins: [alice.user._id] });
    expect(sorted(ids(pair.participants))).toEqual(sorted([alice.user._id, bob.user._id]));
    const pair2 = ok(await createConversation(alice, [bob.user._id], 'Pair'), 201);
    expect(pair2._id).not.toBe(pair._id);

    // Several others without a name: a group without a name.
    const unnamed = ok(await createConversation(bob, [alice.user._id, carol.user._id]), 201);
    expect(unnamed).toMatchObject({ type: 'group', name: null, admins: [bob.user._id] });
    expect(sorted(ids(unnamed.participants))).toEqual(sorted([alice.user._id, bob.user._id, carol.user._id]));

    // Each member sees the group.
    const seenByCarol = ok(await system.rest<ConversationView>('GET', `/api/conversations/${created._id}`, { token: carol.token }));
    expect(seenByCarol._id).toBe(created._id);
  });

  it('answers 400 for unknown or non-ObjectId participant ids, naming them', async () => {
    const [alice, bob] = await accounts('Unknown Ids A', 'Unknown Ids B');
    failed(await createConversation(alice, [UNKNOWN_ID]), 400, new RegExp(`^${ErrorMessage.UserNotFound}.*${UNKNOWN_ID}`));
    failed(await createConversation(alice, ['abc']), 400, new RegExp(`^${ErrorMessage.UserNotFound}.*abc`));
    failed(await createConversation(alice, [bob.user._id, UNKNOWN_ID], 'Mixed'), 400, new RegExp(`^${ErrorMessage.UserNotFound}`));
    failed(await createConversation(alice, [bob.user._id, 'x'.repeat(300)]), 400); // over the wire cap: a schema error, still 400
    // Nothing was created along the way.
    expect(await list(alice)).toEqual([]);
  });

  it('answers 400 for only yourself, and for an empty list without a name', async () => {
    const alice = await account('Alone');
    failed(await createConversation(alice, [alice.user._id]), 400, ErrorMessage.CannotConverseWithSelf);
    failed(await createConversation(alice, []), 400);
    failed(await createConversation(alice, [], ''), 400);
  });

  it.each<[string, unknown]>([
    ['no participantIds', {}],
    ['participantIds not an array', { participantIds: 'abc' }],
    ['a participant id that is not a string', { participantIds: [42] }],
    ['a name that is not a string', { participantIds: [UNKNOWN_ID], name: 7 }],
    ['a __proto__ key', '{"participantIds":[],"name":"x","__proto__":{"admin":true}}'],
    ['malformed JSON', '{"participantIds": ['],
  ])('answers 400 for a body with %s', async (_, body) => {
    const alice = await account('Bad Body');
    failed(await system.rest('POST', '/api/conversations', { token: alice.token, body }), 400);
  });
});

describe('GET /api/conversations', () => {
  it('lists only the caller\'s conversations; a new user has none', async () => {
    const [alice, bob, carol] = await accounts('List A', 'List B', 'List C');
    expect(await list(carol)).toEqual([]);
    const conversation = await direct(alice, bob);
    const seen = await list(alice);
    expect(ids(seen)).toEqual([conversation._id]);
    seen.forEach(expectConversation);
    expect(await list(carol)).toEqual([]);
  });

  it('puts the most recent activity first', async () => {
    const [alice, bob, carol, dave] = await accounts('Order A', 'Order B', 'Order C', 'Order D');
    const first = await direct(alice, bob);
    const second = await direct(alice, carol);
    const third = await group(alice, [dave], 'Third');
    expect(ids(await list(alice))).toEqual([third._id, second._id, first._id]);

    // A message makes a conversation the most recent.
    const socket = await system.connect(bob.token);
    const messageId = await send(socket, first._id, 'bump the first');
    const bumped = await eventually(
      () => list(alice),
      (conversations) => conversations[0]?._id === first._id,
      'the first conversation to come first',
    );
    expect(ids(bumped)).toEqual([first._id, third._id, second._id]);
    expect(bumped[0]?.lastMessage).toMatchObject({ _id: messageId, text: 'bump the first', senderId: bob.user, deleted: false });

    const another = await send(await system.connect(dave.token), third._id, 'bump the third');
    const again = await eventually(
      () => list(alice),
      (conversations) => conversations[0]?._id === third._id,
      'the third conversation to come first again',
    );
    expect(ids(again)).toEqual([third._id, first._id, second._id]);
    expect(again[0]?.lastMessage?._id).toBe(another);
  });

  it('counts in unreadCount the messages from others not read yet', async () => {
    const [alice, bob] = await accounts('Unread A', 'Unread B');
    const conversation = await direct(alice, bob);
    const b = await system.connect(bob.token);
    const sent = [];
    for (const text of ['one', 'two', 'three']) sent.push(await send(b, conversation._id, text));
    await historyShows(alice, conversation._id, sent);

    const unreadOf = async (caller: Account): Promise<number | undefined> =>
      (await list(caller)).find((c) => c._id === conversation._id)?.unreadCount;
    await eventually(() => unreadOf(alice), (count) => count === 3, "alice's unreadCount to be 3");
    expect(await unreadOf(bob)).toBe(0); // own messages are never unread
    expect(ok(await system.rest<ConversationView>('GET', `/api/conversations/${conversation._id}`, { token: alice.token })).unreadCount).toBe(3);

    // Alice reads one, then all.
    const a = await system.connect(alice.token);
    a.emit('message:read', { conversationId: conversation._id, messageIds: [sent[0] as string] });
    await eventually(() => unreadOf(alice), (count) => count === 2, "alice's unreadCount to be 2");
    a.emit('message:read', { conversationId: conversation._id, messageIds: [] });
    await eventually(() => unreadOf(alice), (count) => count === 0, "alice's unreadCount to be 0");
    const read = await eventually(
      async () => ok(await page(bob, conversation._id)).messages,
      (messages) => messages.every((m) => m.status === 'read'),
      'the history to show the messages read',
    );
    expect(ids(read)).toEqual(sent);

    // Alice answers: now Bob has one unread, Alice none.
    const reply = await send(a, conversation._id, 'reply');
    await historyShows(bob, conversation._id, [reply]);
    await eventually(() => unreadOf(bob), (count) => count === 1, "bob's unreadCount to be 1");
    expect(await unreadOf(alice)).toBe(0);
  });
});

describe('GET /api/conversations/:id', () => {
  it('answers participants 200, others 403, unknown and non-ObjectId ids 404', async () => {
    const [alice, bob, eve] = await accounts('Detail A', 'Detail B', 'Detail Eve');
    const conversation = await direct(alice, bob);
    const get = (caller: Account, id: string) => system.rest<ConversationView>('GET', `/api/conversations/${id}`, { token: caller.token });

    for (const caller of [alice, bob]) {
      const seen = ok(await get(caller, conversation._id));
      expectConversation(seen);
      expect(seen._id).toBe(conversation._id);
      expect(sorted(ids(seen.participants))).toEqual(sorted([alice.user._id, bob.user._id]));
    }
    failed(await get(eve, conversation._id), 403, ErrorMessage.NotAParticipant);
    failed(await get(alice, UNKNOWN_ID), 404, ErrorMessage.ConversationNotFound);
    for (const id of NOT_OBJECT_IDS) failed(await get(alice, id), 404);
  });
});

describe('GET /api/conversations/:id/messages', () => {
  let alice: Account;
  let bob: Account;
  let conversationId: string;
  const sent: string[] = [];
  let live: ReturnType<typeof collect<'new:message'>>;

  beforeAll(async () => {
    [alice, bob] = await accounts('History A', 'History B');
    conversationId = (await direct(alice, bob))._id;
    const listener = await system.connect(bob.token);
    await join(listener, conversationId);
    live = collect(listener, 'new:message');
    const socket = await system.connect(alice.token);
    for (let i = 1; i <= 7; i++) sent.push(await send(socket, conversationId, `message ${i}`));
    await historyShows(bob, conversationId, sent);
    // Notifications go out after the read model is written: wait for them too.
    await eventually(
      async () => live.length,
      (count) => count >= sent.length,
      'every new:message at the listening participant',
    );
  });

  const texts = (view: MessagesPageView): (string | null)[] => view.messages.map((m) => m.text);

  it('answers the whole history oldest to newest by default, each a Message', async () => {
    const view = ok(await page(bob, conversationId));
    expect(Object.keys(view).sort()).toEqual(['hasMore', 'messages']);
    expect(ids(view.messages)).toEqual(sent);
    expect(texts(view)).toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 5', 'message 6', 'message 7']);
    expect(view.hasMore).toBe(false);
    for (const message of view.messages) {
      expectMessage(message);
      expect(message).toMatchObject({ conversationId, senderId: alice.user, messageType: 'text', media: [], replyTo: null, deleted: false });
      // The spec's `new:message` message plus `deleted` (status and updatedAt move on with delivery).
      const announced = live.filter((payload) => payload.message._id === message._id).map((payload) => payload.message);
      expect(announced).toHaveLength(1);
      expect(message).toEqual({ ...announced[0], status: message.status, updatedAt: message.updatedAt, deleted: false });
    }
  });

  it('pages backwards with limit and before', async () => {
    const newest = ok(await page(bob, conversationId, '?limit=3'));
    expect(texts(newest)).toEqual(['message 5', 'message 6', 'message 7']);
    expect(newest.hasMore).toBe(true);

    const oldestShown = newest.messages[0]?._id as string;
    const older = ok(await page(bob, conversationId, `?before=${oldestShown}&limit=3`));
    expect(texts(older)).toEqual(['message 2', 'message 3', 'message 4']);
    expect(older.hasMore).toBe(true);

    const oldest = ok(await page(bob, conversationId, `?before=${older.messages[0]?._id as string}&limit=3`));
    expect(texts(oldest)).toEqual(['message 1']);
    expect(oldest.hasMore).toBe(false);

    const nothing = ok(await page(bob, conversationId, `?before=${sent[0] as string}&limit=3`));
    expect(nothing).toEqual({ messages: [], hasMore: false });

    expect(ok(await page(bob, conversationId, '?limit=7')).hasMore).toBe(false);
    expect(ok(await page(bob, conversationId, '?limit=6')).hasMore).toBe(true);
    expect(texts(ok(await page(alice, conversationId, '?limit=1')))).toEqual(['message 7']);
  });

  it.each(['?limit=0', '?limit=abc', '?limit=-1', '?limit=2.5', '?limit='])('answers 400 for %s', async (query) => {
    failed(await page(alice, conversationId, query), 400);
  });

  it('answers others 403, unknown and non-ObjectId conversation ids 404', async () => {
    const eve = await account('History Eve');
    failed(await page(eve, conversationId), 403, ErrorMessage.NotAParticipant);
    failed(await page(alice, UNKNOWN_ID), 404, ErrorMessage.ConversationNotFound);
    for (const id of NOT_OBJECT_IDS) failed(await page(alice, id), 404);
  });

  it('caps limit at 100', async () => {
    const [carol, dave] = await accounts('Many A', 'Many B');
    const many = (await direct(carol, dave))._id;
    const [c, d] = [await system.connect(carol.token), await system.connect(dave.token)];
    // 102 messages, half from each side, in parallel (each socket stays within its rate limit).
    const all = await Promise.all(
      Array.from({ length: 102 }, (_, i) => send(i % 2 === 0 ? c : d, many, `many ${i}`)),
    );
    await eventually(
      async () => {
        const newest = ok(await page(carol, many, '?limit=100'));
        const rest = ok(await page(carol, many, `?before=${newest.messages[0]?._id as string}&limit=100`));
        return [...newest.messages, ...rest.messages].length;
      },
      (count) => count === 102,
      'all 102 messages in the history',
    );

    for (const query of ['?limit=101', '?limit=1000', '?limit=100000000']) {
      const capped = ok(await page(carol, many, query));
      expect(capped.messages).toHaveLength(100);
      expect(capped.hasMore).toBe(true);
    }
    const newest = ok(await page(dave, many, '?limit=500'));
    const rest = ok(await page(dave, many, `?before=${newest.messages[0]?._id as string}&limit=500`));
    expect(rest.messages).toHaveLength(2);
    expect(rest.hasMore).toBe(false);
    expect(sorted([...ids(rest.messages), ...ids(newest.messages)])).toEqual(sorted(all));
  });
});

describe('POST /api/conversations/:id/participants', () => {
  const add = (caller: Account, conversationId: string, body: unknown) =>
    system.rest<ConversationView>('POST', `/api/conversations/${conversationId}/participants`, { token: caller.token, body });

  it('lets the group admin add a user, who then sees the conversation', async () => {
    const [alice, bob, carol] = await accounts('Add Admin', 'Add B', 'Add C');
    const team = await group(alice, [bob], 'Add Team');
    failed(await system.rest('GET', `/api/conversations/${team._id}`, { token: carol.token }), 403, ErrorMessage.NotAParticipant);

    const answer = await add(alice, team._id, { userIds: [carol.user._id] });
    expect([200, 201]).toContain(answer.status);
    const updated = ok(answer, answer.status);
    expectConversation(updated);
    expect(sorted(ids(updated.participants))).toEqual(sorted([alice.user._id, bob.user._id, carol.user._id]));
    expect(updated.admins).toEqual([alice.user._id]);

    const seenByAlice = ok(await system.rest<ConversationView>('GET', `/api/conversations/${team._id}`, { token: alice.token }));
    expect(sorted(ids(seenByAlice.participants))).toEqual(sorted([alice.user._id, bob.user._id, carol.user._id]));
    const seenByCarol = ok(await system.rest<ConversationView>('GET', `/api/conversations/${team._id}`, { token: carol.token }));
    expect(seenByCarol._id).toBe(team._id);
    expect(ids(await list(carol))).toContain(team._id);

    // Adding a member again changes nothing.
    const again = await add(alice, team._id, { userIds: [carol.user._id, bob.user._id] });
    expect(sorted(ids(ok(again, again.status).participants))).toEqual(sorted([alice.user._id, bob.user._id, carol.user._id]));
  });

  it('answers 403 to a member who is not an admin, and to a non-participant', async () => {
    const [alice, bob, carol, eve] = await accounts('Add403 Admin', 'Add403 B', 'Add403 C', 'Add403 Eve');
    const team = await group(alice, [bob], 'Add403 Team');
    failed(await add(bob, team._id, { userIds: [carol.user._id] }), 403, ErrorMessage.NotGroupAdmin);
    failed(await add(eve, team._id, { userIds: [carol.user._id] }), 403);
    const seen = ok(await system.rest<ConversationView>('GET', `/api/conversations/${team._id}`, { token: alice.token }));
    expect(sorted(ids(seen.participants))).toEqual(sorted([alice.user._id, bob.user._id]));
  });

  it('answers 400 for unknown user ids and bad bodies', async () => {
    const [alice, bob] = await accounts('Add400 Admin', 'Add400 B');
    const team = await group(alice, [bob], 'Add400 Team');
    failed(await add(alice, team._id, { userIds: [UNKNOWN_ID] }), 400, new RegExp(`^${ErrorMessage.UserNotFound}`));
    failed(await add(alice, team._id, { userIds: ['abc'] }), 400, new RegExp(`^${ErrorMessage.UserNotFound}`));
    failed(await add(alice, team._id, { userIds: [] }), 400);
    failed(await add(alice, team._id, {}), 400);
    failed(await add(alice, team._id, { userIds: 'abc' }), 400);
    failed(await add(alice, team._id, '{"userIds": ['), 400);
  });

  it('answers 400 (not a group) for a direct conversation', async () => {
    const [alice, bob, carol] = await accounts('AddDirect A', 'AddDirect B', 'AddDirect C');
    const pair = await direct(alice, bob);
    failed(await add(alice, pair._id, { userIds: [carol.user._id] }), 400, ErrorMessage.NotAGroup);
    // An outsider learns only that they are not in it, not what kind of conversation it is.
    failed(await add(carol, pair._id, { userIds: [carol.user._id] }), 403, ErrorMessage.NotAParticipant);
    const seen = ok(await system.rest<ConversationView>('GET', `/api/conversations/${pair._id}`, { token: alice.token }));
    expect(sorted(ids(seen.participants))).toEqual(sorted([alice.user._id, bob.user._id]));
  });

  it('answers 404 for an unknown or non-ObjectId conversation', async () => {
    const [alice, bob] = await accounts('Add404 A', 'Add404 B');
    failed(await add(alice, UNKNOWN_ID, { userIds: [bob.user._id] }), 404, ErrorMessage.ConversationNotFound);
    for (const id of NOT_OBJECT_IDS) failed(await add(alice, id, { userIds: [bob.user._id] }), 404);
  });
});

describe('DELETE /api/conversations/:id/participants/:userId', () => {
  const remove = (caller: Account, conversationId: string, userId: string) =>
    system.rest<unknown>('DELETE', `/api/conversations/${conversationId}/participants/${userId}`, { token: caller.token });
  const detail = (caller: Account, conversationId: string) =>
    system.rest<ConversationView>('GET', `/api/conversations/${conversationId}`, { token: caller.token });

  it('lets the admin remove a member, who then no longer sees the conversation', async () => {
    const [alice, bob, carol] = await accounts('Remove Admin', 'Remove B', 'Remove C');
    const team = await group(alice, [bob, carol], 'Remove Team');
    ok(await remove(alice, team._id, carol.user._id));
    expect(sorted(ids(ok(await detail(alice, team._id)).participants))).toEqual(sorted([alice.user._id, bob.user._id]));
    failed(await detail(carol, team._id), 403, ErrorMessage.NotAParticipant);
    expect(ids(await list(carol))).not.toContain(team._id);
  });

  it('lets a member leave', async () => {
    const [alice, bob, carol] = await accounts('Leave Admin', 'Leave B', 'Leave C');
    const team = await group(alice, [bob, carol], 'Leave Team');
    ok(await remove(bob, team._id, bob.user._id));
    expect(sorted(ids(ok(await detail(alice, team._id)).participants))).toEqual(sorted([alice.user._id, carol.user._id]));
    failed(await detail(bob, team._id), 403, ErrorMessage.NotAParticipant);
    expect(ids(await list(bob))).not.toContain(team._id);
  });

  it('answers 403 to a non-admin removing someone else', async () => {
    const [alice, bob, carol, eve] = await accounts('RemoveForbidden Admin', 'RemoveForbidden B', 'RemoveForbidden C', 'RemoveForbidden Eve');
    const team = await group(alice, [bob, carol], 'RemoveForbidden Team');
    failed(await remove(bob, team._id, carol.user._id), 403, ErrorMessage.NotGroupAdmin);
    failed(await remove(bob, team._id, alice.user._id), 403, ErrorMessage.NotGroupAdmin);
    failed(await remove(eve, team._id, carol.user._id), 403);
    expect(sorted(ids(ok(await detail(alice, team._id)).participants))).toEqual(sorted([alice.user._id, bob.user._id, carol.user._id]));
  });

  it('answers 404 for unknown or non-ObjectId conversation and user ids', async () => {
    const [alice, bob] = await accounts('Remove404 Admin', 'Remove404 B');
    const team = await group(alice, [bob], 'Remove404 Team');
    failed(await remove(alice, UNKNOWN_ID, bob.user._id), 404, ErrorMessage.ConversationNotFound);
    for (const id of NOT_OBJECT_IDS) {
      failed(await remove(alice, id, bob.user._id), 404);
      failed(await remove(alice, team._id, id), 404);
    }
    failed(await remove(alice, team._id, UNKNOWN_ID), 404);
  });

  it('answers 400 (not a group) for a direct conversation', async () => {
    const [alice, bob] = await accounts('RemoveDirect A', 'RemoveDirect B');
    const pair = await direct(alice, bob);
    failed(await remove(alice, pair._id, bob.user._id), 400, ErrorMessage.NotAGroup);
    failed(await remove(alice, pair._id, alice.user._id), 400, ErrorMessage.NotAGroup);
  });
});

// ------------------------------------------------------------------------------ messages

describe('DELETE /api/messages/:messageId', () => {
  const remove = (caller: Account, messageId: string) => system.rest<MessageView>('DELETE', `/api/messages/${messageId}`, { token: caller.token });

  it('lets the sender delete: 200, message:deleted to the room, history shows a tombstone', async () => {
    const [alice, bob] = await accounts('Delete A', 'Delete B');
    const conversation = await direct(alice, bob);
    const a = await system.connect(alice.token);
    const b = await system.connect(bob.token);
    await join(b, conversation._id);
    const kept = await send(a, conversation._id, 'kept');
    const doomed = await send(a, conversation._id, 'doomed');
    await historyShows(bob, conversation._id, [kept, doomed]);

    failed(await remove(bob, doomed), 403, ErrorMessage.NotMessageSender);

    const announced = next(b, 'message:deleted', (payload) => payload.messageId === doomed);
    const deleted = ok(await remove(alice, doomed));
    expectMessage(deleted);
    expect(deleted).toMatchObject({ _id: doomed, conversationId: conversation._id, deleted: true, text: null, media: [] });
    expect(await announced).toEqual({ messageId: doomed, conversationId: conversation._id });

    const history = ok(await page(bob, conversation._id));
    expect(ids(history.messages)).toEqual([kept, doomed]);
    expect(history.messages[0]).toMatchObject({ text: 'kept', deleted: false });
    expect(history.messages[1]).toMatchObject({ _id: doomed, deleted: true, text: null, media: [], senderId: alice.user });
    const lastMessage = await eventually(
      async () => ok(await system.rest<ConversationView>('GET', `/api/conversations/${conversation._id}`, { token: bob.token })).lastMessage,
      (message) => message?.deleted === true,
      'the last message to show as deleted',
    );
    expect(lastMessage).toMatchObject({ _id: doomed, deleted: true, text: null, media: [] });

    // Deleting again changes nothing.
    expect(ok(await remove(alice, doomed))).toMatchObject({ _id: doomed, deleted: true, text: null, media: [] });
  });

  it('answers 403 to someone who is not the sender, participant or not', async () => {
    const [alice, bob, eve] = await accounts('Delete403 A', 'Delete403 B', 'Delete403 Eve');
    const conversation = await direct(alice, bob);
    const messageId = await send(await system.connect(alice.token), conversation._id, 'mine');
    await historyShows(alice, conversation._id, [messageId]);
    failed(await remove(bob, messageId), 403, ErrorMessage.NotMessageSender);
    failed(await remove(eve, messageId), 403);
    expect(ok(await page(alice, conversation._id)).messages[0]).toMatchObject({ _id: messageId, text: 'mine', deleted: false });
  });

  it('answers 404 for unknown and non-ObjectId ids', async () => {
    const alice = await account('Delete404');
    failed(await remove(alice, UNKNOWN_ID), 404, ErrorMessage.MessageNotFound);
    for (const id of NOT_OBJECT_IDS) failed(await remove(alice, id), 404);
  });
});

// ------------------------------------------------------------------------------ the rest

describe('ids that are not ObjectIds', () => {
  // Contract, "Identity": an id that is not one is treated as not found, never as an error.
  // A path segment that is not even valid percent-encoding is such an id too.
  it('answers 404 on every route even when the id is not valid percent-encoding', async () => {
    const alice = await account('Percent');
    const answers: Record<string, RestAnswer> = {};
    for (const [method, path] of [
      ['GET', '/api/conversations/%zz'],
      ['GET', '/api/conversations/%E0%A4%A/messages'],
      ['POST', '/api/users/%/block'],
      ['DELETE', '/api/messages/%zz'],
      ['DELETE', `/api/conversations/${UNKNOWN_ID}/participants/%zz`],
    ] as const) {
      answers[`${method} ${path}`] = await system.rest(method, path, { token: alice.token });
    }
    const statuses = Object.fromEntries(Object.entries(answers).map(([route, answer]) => [route, answer.status]));
    expect(statuses).toEqual(Object.fromEntries(Object.keys(answers).map((route) => [route, 404])));
    for (const answer of Object.values(answers)) failed(answer, 404);
  });
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/api/nope'],
    ['POST', '/api/nope'],
    ['GET', '/nope'],
    ['GET', '/api/users'],
    ['PATCH', '/api/users/me'],
    ['GET', '/api/messages'],
    ['PUT', '/api/conversations'],
  ])('%s %s: 404 { success: false, message }', async (method, path) => {
    const alice = await account('Lost');
    failed(await system.rest(method, path, { token: alice.token }), 404, ErrorMessage.NotFound);
    failed(await system.rest(method, path), 404, ErrorMessage.NotFound);
  });
});

