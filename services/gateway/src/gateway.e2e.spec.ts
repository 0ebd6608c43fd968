import { type ConversationView, ErrorMessage, type MessagesPageView } from '@chat/contracts';
import { ChatSystem, collect, next } from './testing/chat-system';

let system: ChatSystem;

beforeAll(async () => {
  system = await ChatSystem.start({ gateways: 2 });
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
