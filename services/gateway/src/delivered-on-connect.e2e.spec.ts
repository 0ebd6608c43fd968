import { waitFor } from '@chat/runtime/testing';
import { chatSystemForFile, collect } from './testing/chat-system';

// A recipient who comes online just after messages were sent to them while offline: those
// messages are in the store but, the read models being written behind, not yet where
// presence reads what waits for a user. Here the read models are written at most every
// 1.5 s, so that window is wide open on every run.

const running = chatSystemForFile({ env: { READ_MODEL_WRITE_INTERVAL_MS: '1500' } });

it('messages sent just before their recipient connects are delivered once he is online', async () => {
  const system = running();
  const { first: alice, second: bob, conversationId } = await system.pair('Alice', 'Bob');
  const aliceSocket = await system.connect(alice.token);
  const delivered = collect(aliceSocket, 'message:delivered');

  const ids: string[] = [];
  for (const text of ['one', 'two', 'three']) {
    const sent = await aliceSocket.emitWithAck('send:message', { conversationId, text, messageType: 'text' });
    if (!sent.success) throw new Error(sent.message);
    ids.push(sent.messageId);
  }
  // At once: the read models do not show the three messages yet.
  await system.connect(bob.token);
  await waitFor(() => ids.every((id) => delivered.some((d) => d.messageId === id)), 10_000, () => 'message:delivered for each message');
  expect(delivered.map((d) => d.messageId).sort()).toEqual([...ids].sort());
}, 60_000);
