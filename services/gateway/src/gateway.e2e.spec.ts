import { type ConversationView, ErrorMessage, type MessagesPageView } from '@chat/contracts';
import { ChatSystem, collect, next } from './testing/chat-system';

let system: ChatSystem;

beforeAll(async () => {
  // The REST limits as deployed by default (ChatSystem raises the burst for other suites).
  system = await ChatSystem.start({ gateways: 2, env: { ALLOWED_ORIGINS: 'http://app.example', REST_REQUESTS_BURST: '100', REST_REQUESTS_PER_SECOND: '50' } });
}, 180_000);

afterAll(async () => {
  await system?.stop();
});

describe('a first conversation', () => {
  it('two users, a direct conversation, a message from one to the other', async () => {
    const alice = await system.user('Alice');
    const bob = await system.user('Bob');
    const created = await system.rest<ConversationView>('POST', '/api/conversations', {
      token: alice.token,
      body: { participantIds: [bob.user._id] },
    });
    expect(created.status).toBe(201);
    if (!created.body.success) throw new Error(created.body.message);
    const conversationId = created.body.data._id;
    const again = await system.rest<ConversationView>('POST', '/api/conversations', {
      token: bob.token,
      body: { participantIds: [alice.user._id] },
    });
    expect(again.status).toBe(200);

    const a = await system.connect(alice.token);
    const b = await system.connect(bob.token, { gateway: 1 });
    a.emit('join:conversation', { conversationId });
    b.emit('join:conversation', { conversationId });
    await new Promise((r) => setTimeout(r, 200));
    const errors = collect(a, 'error');
    const arrived = next(b, 'new:message');
    const sent = next(a, 'message:sent');
    a.emit('send:message', { conversationId, text: 'Hello Bob', messageType: 'text' });
    const { message } = await arrived;
    expect(message).toMatchObject({
      conversationId,
      text: 'Hello Bob',
      senderId: { _id: alice.user._id, name: 'Alice', profileImage: '' },
      messageType: 'text',
      status: 'sent',
      replyTo: null,
      media: [],
    });
    expect(await sent).toEqual({ messageId: message._id, conversationId });
    expect(errors).toEqual([]);

    const history = await system.rest<MessagesPageView>('GET', `/api/conversations/${conversationId}/messages`, { token: bob.token });
    expect(history.body.success && history.body.data.messages.map((m) => m.text)).toEqual(['Hello Bob']);
  });

  it('refuses a connection without a token, with a bad token, for an unknown user', async () => {
    await expect(system.connect(undefined)).rejects.toThrow(ErrorMessage.AuthTokenRequired);
    await expect(system.connect('not-a-jwt')).rejects.toThrow(ErrorMessage.AuthInvalidToken);
    await expect(system.connect(system.tokens.sign('0123456789abcdef01234567'))).rejects.toThrow(ErrorMessage.AuthUserNotFound);
  });
});

describe('leaving a group', () => {
  it('a removed member stops receiving the room at once, on whichever gateway they are', async () => {
    const admin = await system.user('Admin');
    const member = await system.user('Member');
    const removed = await system.user('Removed');
    const group = await system.rest<ConversationView>('POST', '/api/conversations', {
      token: admin.token,
      body: { participantIds: [member.user._id, removed.user._id], name: 'Team' },
    });
    if (!group.body.success) throw new Error(group.body.message);
    const conversationId = group.body.data._id;
    const adminSocket = await system.connect(admin.token);
    const memberSocket = await system.connect(member.token, { gateway: 1 });
    const removedSocket = await system.connect(removed.token, { gateway: 1 });
    for (const socket of [adminSocket, memberSocket, removedSocket]) {
      const joined = await socket.emitWithAck('join:conversation', { conversationId });
      expect(joined).toMatchObject({ success: true });
    }
    const first = next(removedSocket, 'new:message');
    adminSocket.emit('send:message', { conversationId, text: 'before', messageType: 'text' });
    expect((await first).message.text).toBe('before');

    const removal = await system.rest('DELETE', `/api/conversations/${conversationId}/participants/${removed.user._id}`, { token: admin.token });
    expect(removal.status).toBe(200);
    const afterwards = collect(removedSocket, 'new:message');
    const memberSees = next(memberSocket, 'new:message', ({ message }) => message.text === 'after');
    adminSocket.emit('send:message', { conversationId, text: 'after', messageType: 'text' });
    await memberSees;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(afterwards).toEqual([]);
    expect(await removedSocket.emitWithAck('join:conversation', { conversationId })).toEqual({
      success: false,
      message: ErrorMessage.NotAuthorizedToJoin,
    });
  });
});

describe('limits at the edge', () => {
  it('a REST flood from one caller gets 429 while another caller is served', async () => {
    const flooder = await system.user('Flooder');
    const bystander = await system.user('Bystander');
    const answers = await Promise.all(Array.from({ length: 300 }, () => system.rest('GET', '/api/users/me', { token: flooder.token })));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.body).toEqual({ success: false, message: ErrorMessage.TooManyRequests });
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThan(0);
    expect((await system.rest('GET', '/api/users/me', { token: bystander.token })).status).toBe(200);
  });

  it('browsers from origins not allowed are refused, on the socket and by CORS; clients without an Origin pass', async () => {
    const { token } = await system.user('Browser');
    await expect(system.connect(token, { extraHeaders: { origin: 'http://evil.example' } })).rejects.toThrow();
    const allowed = await system.connect(token, { extraHeaders: { origin: 'http://app.example' } });
    expect(allowed.connected).toBe(true);
    const preflight = (origin: string) =>
      fetch(`${system.url}/api/users/me`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    expect((await preflight('http://app.example')).headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
