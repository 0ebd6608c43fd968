import type { ConversationView, MessagesPageView } from '@chat/contracts';
import { type ClientSocket, ChatSystem, next } from './testing/chat-system';

// Read-your-writes with notifications that leave before the read models are written: a REST
// read by a user waits until the read models show what that user was told of or had accepted.
// Checked under load, across gateways, many times in a row: one miss is a failure.
// READ_YOUR_WRITES_ROUNDS sets how many (1,000 by default); READ_YOUR_WRITES_MAX_WAIT_MS=0
// turns the wait off, which makes this test fail (how it was seen to be able to).

const ROUNDS = Number(process.env.READ_YOUR_WRITES_ROUNDS ?? 1_000);

let system: ChatSystem;

beforeAll(async () => {
  system = await ChatSystem.start({
    gateways: 2,
    env: {
      REST_REQUESTS_PER_SECOND: '1000',
      REST_REQUESTS_BURST: '2000',
      SOCKET_EVENTS_PER_SECOND: '1000',
      SOCKET_EVENTS_BURST: '2000',
      ...(process.env.READ_YOUR_WRITES_MAX_WAIT_MS === undefined ? {} : { READ_YOUR_WRITES_MAX_WAIT_MS: process.env.READ_YOUR_WRITES_MAX_WAIT_MS }),
    },
  });
}, 180_000);

afterAll(async () => {
  await system?.stop();
});

async function conversationOf(a: { token: string }, b: { user: { _id: string } }): Promise<string> {
  const created = await system.rest<ConversationView>('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user._id] } });
  if (!created.body.success) throw new Error(created.body.message);
  return created.body.data._id;
}

async function joined(socket: ClientSocket, conversationId: string): Promise<void> {
  const answer = (await socket.timeout(10_000).emitWithAck('join:conversation', { conversationId })) as { success: boolean };
  if (!answer.success) throw new Error(`join failed: ${JSON.stringify(answer)}`);
}

/** Other people chatting meanwhile, so the projections always have a batch in hand. */
async function backgroundTraffic(perSecond: number): Promise<() => number> {
  const [carol, dave] = [await system.user('Carol'), await system.user('Dave')];
  const conversationId = await conversationOf(carol, dave);
  const sockets = [await system.connect(carol.token, { gateway: 0 }), await system.connect(dave.token, { gateway: 1 })];
  for (const socket of sockets) await joined(socket, conversationId);
  let sent = 0;
  const timer = setInterval(() => {
    const socket = sockets[sent % 2] as ClientSocket;
    socket.emit('send:message', { conversationId, text: `noise ${sent}`, messageType: 'text' });
    sent += 1;
  }, 1000 / perSecond);
  return () => {
    clearInterval(timer);
    return sent;
  };
}

it(`after an acknowledgement, and after a new:message, the history holds the message: ${ROUNDS} times in a row, under load, across gateways`, async () => {
  const [alice, bob] = [await system.user('Alice'), await system.user('Bob')];
  const conversationId = await conversationOf(alice, bob);
  // Alice sends through gateway 0 and reads there; Bob listens on gateway 1 and reads on 0.
  const a = await system.connect(alice.token, { gateway: 0 });
  const b = await system.connect(bob.token, { gateway: 1 });
  await joined(a, conversationId);
  await joined(b, conversationId);
  const stopNoise = await backgroundTraffic(100);

  // Both read on gateway 0 (the system's url), with the response's headers.
  const newest = async (token: string): Promise<{ ids: string[]; behind: string | null }> => {
    const response = await fetch(`${system.url}/api/conversations/${conversationId}/messages?limit=3`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { success: true; data: MessagesPageView } | { success: false; message: string };
    if (!body.success) throw new Error(`${response.status} ${body.message}`);
    return { ids: body.data.messages.map((m) => m._id), behind: response.headers.get('x-read-models-behind') };
  };
  const misses: string[] = [];
  let behind = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const text = `round ${round}`;
      const arrived = next(b, 'new:message', ({ message }) => message.text === text);
      const ack = (await a.timeout(10_000).emitWithAck('send:message', { conversationId, text, messageType: 'text' })) as {
        success: boolean;
        messageId?: string;
      };
      if (!ack.success || ack.messageId === undefined) throw new Error(`send refused: ${JSON.stringify(ack)}`);
      const afterAck = await newest(alice.token);
      if (!afterAck.ids.includes(ack.messageId)) misses.push(`${text}: missing from Alice's history after her ack`);
      if (afterAck.behind !== null) behind += 1;
      const { message } = await arrived;
      const afterPush = await newest(bob.token);
      if (!afterPush.ids.includes(message._id)) misses.push(`${text}: missing from Bob's history after his new:message`);
      if (afterPush.behind !== null) behind += 1;
    }
  } finally {
    const noise = stopNoise();
    console.log(`read-your-writes: ${ROUNDS} rounds beside ${noise} other messages; ${misses.length} misses; ${behind} reads answered before the read models caught up`);
  }
  expect(misses).toEqual([]);
  expect(behind).toBe(0);
}, 600_000);
