import { type Command, Topic } from '@chat/contracts';
import type { ReadModelQueries } from '@chat/projections/read-models';
import type { BatchingProducer } from '@chat/runtime';
import type { Message } from 'kafkajs';
import { PresenceService } from './presence.service';
import type { PresenceStore } from './presence-store';

const id = (n: number): string => n.toString(16).padStart(24, '0');
const [alice, bob, carol, dave] = [id(1), id(2), id(3), id(4)];
const [direct, group, other] = [id(101), id(102), id(103)];

/** A presence service over stand-ins: who is online, who is in which room, what it sends. */
function presence(online: readonly string[], rooms: Record<string, readonly string[]>) {
  const sent: { topic: string; commands: Command[] }[] = [];
  const store = { hasSockets: async (users: readonly string[]) => users.map((user) => online.includes(user)) } as unknown as PresenceStore;
  const queries = { participantsOf: async (conversationId: string) => rooms[conversationId] ?? null } as unknown as ReadModelQueries;
  const producer = {
    send: async (topic: string, messages: Message[]) => {
      sent.push({ topic, commands: messages.map((message) => JSON.parse(String(message.value)) as Command) });
    },
  } as unknown as BatchingProducer;
  const service = new PresenceService({ store, queries, producer, instanceId: 'presence-1', graceMs: 3_000, defaultGatewayTtlMs: 20_000, log: () => undefined });
  return { service, sent };
}

describe('PresenceService.messagesSent', () => {
  it('records the messages of one conversation delivered to one recipient with one command', async () => {
    const { service, sent } = presence([bob, carol], { [group]: [alice, bob, carol] });
    await service.messagesSent([
      { conversationId: direct, messageId: id(1001), senderId: alice, members: [alice, bob] },
      { conversationId: group, messageId: id(1002), senderId: alice },
      { conversationId: direct, messageId: id(1003), senderId: alice, members: [alice, bob] },
      { conversationId: direct, messageId: id(1004), senderId: bob, members: [alice, bob] },
      { conversationId: group, messageId: id(1005), senderId: bob },
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.topic).toBe(Topic.Commands);
    const receipts = sent[0]?.commands.map((command) => command.type === 'MarkMessageDelivered' && command.data);
    expect(receipts).toEqual([
      { conversationId: direct, recipientId: bob, messageIds: [id(1001), id(1003)] },
      { conversationId: group, recipientId: bob, messageIds: [id(1002)] },
      // Bob's own message in the group goes to the next member online; Alice is not.
      { conversationId: group, recipientId: carol, messageIds: [id(1005)] },
    ]);
    for (const command of sent[0]?.commands ?? []) {
      expect(command.type === 'MarkMessageDelivered' && command.metadata.userId).toBe(command.type === 'MarkMessageDelivered' && command.data.recipientId);
      // Nobody reads answers to receipts: messaging puts none on the topic every gateway reads.
      expect(command.metadata.unanswered).toBe(true);
    }
  });

  it('sends nothing when no recipient is online or the room is unknown', async () => {
    const { service, sent } = presence([alice], { [group]: [alice, dave] });
    await service.messagesSent([
      { conversationId: direct, messageId: id(1001), senderId: alice, members: [alice, bob] },
      { conversationId: group, messageId: id(1002), senderId: alice },
      { conversationId: other, messageId: id(1003), senderId: alice },
    ]);
    expect(sent).toEqual([]);
  });
});
