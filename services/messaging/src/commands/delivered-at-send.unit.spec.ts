import type { OnlineLookup } from '@chat/runtime';
import { alice, bob, carol, dave, fold, group, groupCreated, mid, send, sent } from '../domain/testing/conversation-fixtures';
import { deliverAtSend, deliveredCommands, sentMessages } from './delivered-at-send';

const state = fold([groupCreated([alice, bob, carol, dave])]);
const sendOf = (by: string, n: number) => ({ ...send(by, group, mid(n)), commandId: `00000000-0000-4000-8000-00000000000${n}` });

describe('delivered at send', () => {
  const decided = [
    { command: sendOf(alice, 1), events: [sent(group, mid(1), alice)] },
    { command: sendOf(alice, 2), events: [sent(group, mid(2), alice)] },
    { command: sendOf(carol, 3), events: [sent(group, mid(3), carol)] },
  ];

  it('each message goes to its first member online; the messages of one recipient share a command', () => {
    const messages = sentMessages(decided, state);
    expect(messages.map((m) => m.recipients)).toEqual([
      [bob, carol, dave],
      [bob, carol, dave],
      [alice, bob, dave],
    ]);
    const commands = deliveredCommands(group, messages, new Set([carol, dave]));
    expect(commands.map((c) => c.data)).toEqual([
      { conversationId: group, recipientId: carol, messageIds: [mid(1), mid(2)] },
      { conversationId: group, recipientId: dave, messageIds: [mid(3)] },
    ]);
    for (const command of commands) {
      // Unanswered, by the recipient, caused by the send, with an id the send's redelivery would derive again.
      expect(command.metadata).toMatchObject({ userId: command.data.recipientId, unanswered: true });
      expect(command.metadata.socketId).toBeUndefined();
    }
    expect(commands[0]?.metadata.causationId).toBe(decided[0]?.command.commandId);
    expect(deliveredCommands(group, messages, new Set([carol, dave])).map((c) => c.commandId)).toEqual(commands.map((c) => c.commandId));
  });

  it('the sender is no recipient of their own message; nobody online, nothing follows', () => {
    expect(deliveredCommands(group, sentMessages(decided, state), new Set([alice]))).toEqual([
      expect.objectContaining({ data: { conversationId: group, recipientId: alice, messageIds: [mid(3)] } }),
    ]);
    expect(deliveredCommands(group, sentMessages(decided, state), new Set())).toEqual([]);
  });

  it('asks who is online once per group, and appends undelivered when it cannot ask', async () => {
    const asked: string[][] = [];
    const lookup: OnlineLookup = { hasSockets: (users) => Promise.resolve(void asked.push([...users])).then(() => users.map((u) => u === bob)) };
    const followUps = await deliverAtSend(lookup, () => undefined)(decided, state);
    expect(asked).toEqual([[bob, carol, dave, alice]]);
    expect(followUps.map((c) => c.type === 'MarkMessageDelivered' && c.data)).toEqual([{ conversationId: group, recipientId: bob, messageIds: [mid(1), mid(2), mid(3)] }]);

    const logged: string[] = [];
    const away: OnlineLookup = { hasSockets: () => Promise.reject(new Error('Connection is closed.')) };
    expect(await deliverAtSend(away, (line) => logged.push(line))(decided, state)).toEqual([]);
    expect(logged).toEqual([expect.stringContaining('3 message(s) appended undelivered')]);
  });
});
