import { type MessagesPageView } from '@chat/contracts';
import { ChatSystem, type ClientSocket, collect, next } from './testing/chat-system';

// Presence and delivery through real clients: online/offline to contacts only, several tabs,
// several gateways, a gateway killed with SIGKILL, and message:delivered at send time and on
// connect, once. ChatSystem runs presence with a 500 ms heartbeat (a silent gateway is gone
// after 2 s) and a 1 s grace period.

let system: ChatSystem;

beforeAll(async () => {
  system = await ChatSystem.start({ gateways: 2 });
}, 180_000);

afterAll(async () => {
  await system?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function disconnected(socket: ClientSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.disconnected) return resolve();
    socket.once('disconnect', () => resolve());
    socket.disconnect();
  });
}

describe('user:online and user:offline', () => {
  it('go to the users who share a conversation, not to everyone', async () => {
    const { first: alice, second: bob } = await system.pair('Alice', 'Bob');
    const carol = await system.user('Carol');
    const bobSocket = await system.connect(bob.token, { gateway: 1 });
    const carolSocket = await system.connect(carol.token);
    const carolHears = collect(carolSocket, 'user:online');
    const online = next(bobSocket, 'user:online', ({ userId }) => userId === alice.user._id);
    const aliceSocket = await system.connect(alice.token);
    expect(await online).toEqual({ userId: alice.user._id });

    const offline = next(bobSocket, 'user:offline', ({ userId }) => userId === alice.user._id);
    await disconnected(aliceSocket);
    expect(await offline).toEqual({ userId: alice.user._id });
    expect(carolHears.filter(({ userId }) => userId === alice.user._id)).toEqual([]);
  });

  it('a second tab, on another gateway, and a quick reconnect make no flicker', async () => {
    const { first: alice, second: bob } = await system.pair('Alice', 'Bob');
    const bobSocket = await system.connect(bob.token);
    const onlines = collect(bobSocket, 'user:online');
    const offlines = collect(bobSocket, 'user:offline');
    const firstTab = await system.connect(alice.token);
    const secondTab = await system.connect(alice.token, { gateway: 1 });
    await sleep(500);
    await disconnected(firstTab);
    // Within the grace period: the reload of a page.
    const reloaded = await system.connect(alice.token);
    await sleep(2_000);
    const mine = (list: { userId: string }[]) => list.filter(({ userId }) => userId === alice.user._id);
    expect(mine(onlines)).toHaveLength(1);
    expect(mine(offlines)).toHaveLength(0);

    const offline = next(bobSocket, 'user:offline', ({ userId }) => userId === alice.user._id);
    await disconnected(secondTab);
    await disconnected(reloaded);
    await offline;
    await sleep(500);
    expect(mine(offlines)).toHaveLength(1);
  });

  it('a gateway killed with SIGKILL takes its users offline by itself, and a new one leaves no ghost', async () => {
    const { first: alice, second: bob } = await system.pair('Alice', 'Bob');
    const doomed = await system.addGateway();
    const bobSocket = await system.connect(bob.token);
    const online = next(bobSocket, 'user:online', ({ userId }) => userId === alice.user._id);
    await system.connect(alice.token, { gateway: system.gateways.indexOf(doomed) });
    await online;
    const offline = next(bobSocket, 'user:offline', ({ userId }) => userId === alice.user._id, 60_000);
    const killedAt = Date.now();
    await doomed.process.stop('SIGKILL');
    await offline;
    expect(Date.now() - killedAt).toBeLessThan(60_000);

    // Alice comes back through a fresh gateway: online once, and offline once when she leaves.
    const fresh = await system.addGateway();
    const again = next(bobSocket, 'user:online', ({ userId }) => userId === alice.user._id);
    const aliceSocket = await system.connect(alice.token, { gateway: system.gateways.indexOf(fresh) });
    await again;
    const gone = next(bobSocket, 'user:offline', ({ userId }) => userId === alice.user._id);
    await disconnected(aliceSocket);
    await gone;
  }, 120_000);
});

describe('message:delivered', () => {
  it('at send time when the recipient is online (even outside the room), once, to the sender', async () => {
    const { first: alice, second: bob, conversationId } = await system.pair('Alice', 'Bob');
    await system.connect(bob.token, { gateway: 1 });
    await system.connect(bob.token);
    const aliceSocket = await system.connect(alice.token);
    const delivered = collect(aliceSocket, 'message:delivered');
    const sent = await aliceSocket.emitWithAck('send:message', { conversationId, text: 'are you there?', messageType: 'text' });
    if (!sent.success) throw new Error(sent.message);
    const deadline = Date.now() + 10_000;
    while (delivered.length === 0 && Date.now() < deadline) await sleep(20);
    await sleep(1_000);
    expect(delivered).toEqual([{ messageId: sent.messageId }]);
    const history = await system.rest<MessagesPageView>('GET', `/api/conversations/${conversationId}/messages`, { token: alice.token });
    expect(history.body.success && history.body.data.messages.map((m) => m.status)).toEqual(['delivered']);
  });

  it('when an offline recipient connects later, once per message', async () => {
    const { first: alice, second: bob, conversationId } = await system.pair('Alice', 'Bob');
    const aliceSocket = await system.connect(alice.token);
    const delivered = collect(aliceSocket, 'message:delivered');
    const ids: string[] = [];
    for (const text of ['one', 'two']) {
      const sent = await aliceSocket.emitWithAck('send:message', { conversationId, text, messageType: 'text' });
      if (!sent.success) throw new Error(sent.message);
      ids.push(sent.messageId);
    }
    await sleep(1_500);
    expect(delivered).toEqual([]);

    await system.connect(bob.token, { gateway: 1 });
    await system.connect(bob.token);
    const deadline = Date.now() + 10_000;
    while (delivered.length < 2 && Date.now() < deadline) await sleep(20);
    await sleep(1_000);
    expect(delivered.map(({ messageId }) => messageId).sort()).toEqual([...ids].sort());
  });
});
