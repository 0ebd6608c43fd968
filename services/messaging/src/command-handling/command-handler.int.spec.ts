import { randomUUID } from 'node:crypto';
import { type CommandOf, EventType, conversationStream, directConversationId } from '@chat/contracts';
import { PostgresEventStore, endpointsInEnv, formatPosition, toEndpoints } from '@chat/runtime';
import { waitFor } from '@chat/runtime/testing';
import { ObjectId } from 'mongodb';
import { conversationKind, conversationKindDelivering } from '../commands/command-routing';
import { CommandHandler, snapshotStreamOf } from './command-handler';

// The generic command handler against the real PostgreSQL event store: two instances racing
// on one stream, a cold start from a snapshot, and redelivery after a restart.

const endpoints = toEndpoints(endpointsInEnv());
let store: PostgresEventStore;
const id = (): string => new ObjectId().toHexString();

beforeAll(async () => {
  store = new PostgresEventStore({ connectionString: endpoints.postgresUrl });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
});

const metadata = (userId: string) => ({
  userId,
  gatewayId: 'gateway-test',
  correlationId: randomUUID(),
  issuedAt: new Date().toISOString(),
});

function createDirect(alice: string, bob: string): CommandOf<'CreateDirectConversation'> {
  return {
    type: 'CreateDirectConversation',
    version: 1,
    commandId: randomUUID(),
    metadata: metadata(alice),
    data: { conversationId: directConversationId(alice, bob), creatorId: alice, otherUserId: bob },
  };
}

function send(conversationId: string, senderId: string, replyTo: string | null = null): CommandOf<'SendMessage'> {
  return {
    type: 'SendMessage',
    version: 1,
    commandId: randomUUID(),
    metadata: metadata(senderId),
    data: { conversationId, messageId: id(), senderId, text: 'hi', media: [], messageType: 'text', replyTo, clientMessageId: null },
  };
}

async function conversation(handler: CommandHandler) {
  const alice = id();
  const bob = id();
  const create = createDirect(alice, bob);
  const stream = conversationStream(create.data.conversationId);
  await handler.handle(conversationKind, stream, [create]);
  return { alice, bob, conversationId: create.data.conversationId, stream };
}

describe('CommandHandler on PostgreSQL', () => {
  it('two instances writing one stream: the loser of each race decides again, nothing is lost', async () => {
    const first = new CommandHandler({ store });
    const second = new CommandHandler({ store });
    const { alice, bob, conversationId, stream } = await conversation(first);

    const commands = Array.from({ length: 20 }, (_, i) => send(conversationId, i % 2 ? alice : bob));
    const outcomes = await Promise.all(commands.map((c, i) => (i % 2 ? first : second).handle(conversationKind, stream, [c])));

    expect(outcomes.flat().every((o) => o.kind === 'accepted')).toBe(true);
    const events = await store.readStream(stream);
    expect(events.filter((e) => e.type === EventType.MessageSent)).toHaveLength(20);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
  });

  it('snapshots a long stream and a cold instance resumes from it, recent commands included', async () => {
    const kind = { ...conversationKind, snapshots: { ...conversationKind.snapshots!, every: 10 } };
    const writer = new CommandHandler({ store });
    const { alice, conversationId, stream } = await conversation(writer);
    const sends = Array.from({ length: 25 }, () => send(conversationId, alice));
    for (const command of sends) await writer.handle(kind, stream, [command]);
    const firstMessage = sends[0]?.data.messageId as string;
    await waitFor(async () => (await store.readStream(snapshotStreamOf(stream))).length >= 2, 10_000);

    const [latest] = await store.readStream(snapshotStreamOf(stream), { direction: 'backwards', maxCount: 1 });
    expect(latest?.type).toBe('StateSnapshot');

    const cold = new CommandHandler({ store });
    // A redelivery of a command from before the snapshot is still recognised …
    const redelivered = await cold.handle(kind, stream, [sends[3] as CommandOf<'SendMessage'>]);
    expect(redelivered).toEqual([{ kind: 'accepted', result: expect.objectContaining({ duplicate: true }), eventCount: 0 }]);
    // … and the restored state knows the first message (a reply to it is accepted).
    const reply = await cold.handle(kind, stream, [send(conversationId, alice, firstMessage)]);
    expect(reply[0]?.kind).toBe('accepted');
    expect((await store.readStream(stream)).filter((e) => e.type === EventType.MessageSent)).toHaveLength(26);
  });

  it('a restarted instance recognises redelivered commands from the events themselves', async () => {
    const before = new CommandHandler({ store });
    const { alice, conversationId, stream } = await conversation(before);
    const command = send(conversationId, alice);
    await before.handle(conversationKind, stream, [command]);

    const after = new CommandHandler({ store });
    const again = await after.handle(conversationKind, stream, [command]);

    expect(again[0]).toMatchObject({ kind: 'accepted', result: { messageId: command.data.messageId, duplicate: true } });
    expect((await store.readStream(stream)).filter((e) => e.type === EventType.MessageSent)).toHaveLength(1);
  });

  it('a send to a recipient online is delivered in its own append, and its redelivery appends nothing', async () => {
    const handler = new CommandHandler({ store });
    const { alice, bob, conversationId, stream } = await conversation(handler);
    const online = { hasSockets: (users: readonly string[]) => Promise.resolve(users.map((user) => user === bob)) };
    const kind = conversationKindDelivering(online, () => undefined);
    const first = send(conversationId, alice);
    const [outcome] = await handler.handle(kind, stream, [first]);
    expect(outcome).toMatchObject({ kind: 'accepted', eventCount: 1 });

    const events = (await store.readStream(stream)).slice(1);
    expect(events.map((e) => e.type)).toEqual([EventType.MessageSent, EventType.MessageDelivered]);
    expect(events[1]?.data).toEqual({ conversationId: first.data.conversationId, messageIds: [first.data.messageId], recipientId: bob });
    // One transaction: the receipt commits with the message, at the position the send is answered with.
    expect(outcome?.kind === 'accepted' && outcome.position).toBe(events[1] && formatPosition(events[1].position));
    // Its own command (derived from the send's), in the send's correlation.
    expect(events[1]?.metadata).toMatchObject({ correlationId: first.metadata.correlationId, userId: bob });
    expect(events[1]?.metadata.commandId).not.toBe(first.commandId);

    const restarted = new CommandHandler({ store });
    const [again] = await restarted.handle(kind, stream, [first]);
    expect(again).toMatchObject({ kind: 'accepted', eventCount: 0 });
    expect(await store.readStream(stream)).toHaveLength(3);
  });
});
