import { randomUUID } from 'node:crypto';
import {
  type Command,
  type CommandOf,
  type CommandResult,
  ErrorMessage,
  EventType,
  KafkaHeader,
  Topic,
  conversationStream,
  directConversationId,
  userStream,
} from '@chat/contracts';
import { PostgresEventStore, createKafka, endpointsInEnv, latencyConsumerConfig, toEndpoints } from '@chat/runtime';
import { ObjectId } from 'mongodb';
import { CommandClient } from './testing/command-client';
import { type ServiceProcess, buildWorkspaces, waitFor } from '@chat/runtime/testing';
import { messagingProcess } from './testing/messaging-process';

// The write side end to end against real Kafka and PostgreSQL: commands on the commands
// topic, the messaging service as its own process, events in the store, answers on the
// results topic. One file, one service: the commands topic is shared by whatever consumes it.

const endpoints = toEndpoints(endpointsInEnv());
const id = (): string => new ObjectId().toHexString();

let service: ServiceProcess;
let client: CommandClient;
let store: PostgresEventStore;

beforeAll(async () => {
  buildWorkspaces();
  service = messagingProcess({ ...process.env, MESSAGING_GROUP_ID: `messaging-test-${randomUUID()}` });
  await service.start();
  client = new CommandClient(endpoints.kafkaBrokers);
  await client.start();
  store = new PostgresEventStore({ connectionString: endpoints.postgresUrl });
}, 120_000);

afterAll(async () => {
  await client?.stop();
  await service?.stop();
  await store?.close();
});

function envelope<T extends Command['type']>(type: T, userId: string) {
  return { type, version: 1 as const, commandId: randomUUID(), metadata: client.metadata(userId) };
}

const register = (userId: string, name = 'User'): CommandOf<'RegisterUser'> => ({
  ...envelope('RegisterUser', userId),
  data: { userId, name, profileImage: null },
});

const createDirect = (a: string, b: string): CommandOf<'CreateDirectConversation'> => ({
  ...envelope('CreateDirectConversation', a),
  data: { conversationId: directConversationId(a, b), creatorId: a, otherUserId: b },
});

const send = (
  conversationId: string,
  senderId: string,
  overrides: Partial<CommandOf<'SendMessage'>['data']> = {},
): CommandOf<'SendMessage'> => ({
  ...envelope('SendMessage', senderId),
  data: {
    conversationId,
    messageId: id(),
    senderId,
    text: 'hello',
    media: [],
    messageType: 'text',
    replyTo: null,
    clientMessageId: null,
    ...overrides,
  },
});

const block = (userId: string, blockedUserId: string): CommandOf<'BlockUser'> => ({
  ...envelope('BlockUser', userId),
  data: { conversationId: directConversationId(userId, blockedUserId), userId, blockedUserId },
});

function expectAccepted(result: CommandResult): Extract<CommandResult, { type: 'CommandAccepted' }> {
  if (result.type !== 'CommandAccepted') throw new Error(`expected acceptance, got ${JSON.stringify(result)}`);
  return result;
}

async function pairWithConversation(): Promise<{ alice: string; bob: string; conversationId: string }> {
  const alice = id();
  const bob = id();
  expectAccepted(await client.request(register(alice, 'Alice')));
  expectAccepted(await client.request(register(bob, 'Bob')));
  const created = createDirect(alice, bob);
  expectAccepted(await client.request(created));
  return { alice, bob, conversationId: created.data.conversationId };
}

async function sentMessageIds(conversationId: string): Promise<string[]> {
  const events = await store.readStream(conversationStream(conversationId));
  return events.filter((e) => e.type === EventType.MessageSent).map((e) => (e.data as { messageId: string }).messageId);
}

describe('messaging service', () => {
  it('command on Kafka → event in the store → answer on the results topic', async () => {
    const { alice, conversationId } = await pairWithConversation();
    const command = send(conversationId, alice, { text: 'first message' });

    const answer = expectAccepted(await client.request(command));

    expect(answer).toMatchObject({
      commandId: command.commandId,
      gatewayId: client.gatewayId,
      socketId: `socket-${alice}`,
      commandType: 'SendMessage',
      result: { conversationId, messageId: command.data.messageId },
    });
    const events = await store.readStream(conversationStream(conversationId));
    const sent = events.find((e) => e.type === EventType.MessageSent);
    expect(sent?.data).toMatchObject({ messageId: command.data.messageId, senderId: alice, text: 'first message' });
    expect(sent?.metadata).toMatchObject({ commandId: command.commandId, userId: alice, gatewayId: client.gatewayId });
    expect((await store.readStream(userStream(alice))).map((e) => e.type)).toEqual([EventType.UserRegistered]);
  });

  describe('rejections reach the sender with the contract’s message, and store nothing', () => {
    it.each([
      ['an unknown conversation', 'not_found', ErrorMessage.ConversationNotFound, async () => send(id(), id())],
      [
        'a non-participant',
        'forbidden',
        ErrorMessage.NotAuthorizedToSend,
        async () => send((await pairWithConversation()).conversationId, id()),
      ],
      [
        'audio',
        'invalid',
        ErrorMessage.AudioNotAllowed,
        async () => {
          const { alice, conversationId } = await pairWithConversation();
          return send(conversationId, alice, { messageType: 'audio', text: null, media: [{ url: 'https://x.test/a.mp3', type: 'audio', filename: null, size: null }] });
        },
      ],
      [
        'an empty message',
        'invalid',
        ErrorMessage.MessageEmpty,
        async () => {
          const { alice, conversationId } = await pairWithConversation();
          return send(conversationId, alice, { text: '   ' });
        },
      ],
      [
        'text over 10,000 characters',
        'invalid',
        ErrorMessage.MessageTextTooLong,
        async () => {
          const { alice, conversationId } = await pairWithConversation();
          return send(conversationId, alice, { text: 'x'.repeat(10_001) });
        },
      ],
      [
        'a reply to a message of another conversation',
        'invalid',
        ErrorMessage.ReplyTargetNotFound,
        async () => {
          const { alice, conversationId } = await pairWithConversation();
          return send(conversationId, alice, { replyTo: id() });
        },
      ],
    ] as const)('%s', async (_name, code, message, build) => {
      const command = await build();
      const answer = await client.request(command);
      expect(answer).toMatchObject({ type: 'CommandRejected', code, message, commandId: command.commandId });
      expect(await sentMessageIds(command.data.conversationId)).toEqual([]);
    });

    it('blocked in either direction', async () => {
      const { alice, bob, conversationId } = await pairWithConversation();
      expectAccepted(await client.request(block(alice, bob)));

      expect(await client.request(send(conversationId, alice))).toMatchObject({
        type: 'CommandRejected',
        message: ErrorMessage.SenderBlockedRecipient,
      });
      expect(await client.request(send(conversationId, bob))).toMatchObject({
        type: 'CommandRejected',
        message: ErrorMessage.ActionNotAvailable,
      });
      expect(await sentMessageIds(conversationId)).toEqual([]);
    });
  });

  it('a command marked unanswered is applied and answered to nobody', async () => {
    const { alice, bob, conversationId } = await pairWithConversation();
    const sent = send(conversationId, alice);
    expectAccepted(await client.request(sent));
    const receipt: CommandOf<'MarkMessageDelivered'> = {
      ...envelope('MarkMessageDelivered', bob),
      data: { conversationId, messageIds: [sent.data.messageId], recipientId: bob },
    };
    const unanswered = { ...receipt, metadata: { ...receipt.metadata, unanswered: true as const } };
    await client.send([unanswered]);
    await waitFor(async () => (await store.readStream(conversationStream(conversationId))).some((e) => e.type === EventType.MessageDelivered));
    // A command sent after it is answered: had the receipt been answered, that answer would be here by now.
    expectAccepted(await client.request(send(conversationId, alice)));
    expect(client.received.filter((r) => r.commandId === unanswered.commandId)).toEqual([]);
  });

  it('a redelivered command appends nothing new and answers as the first time', async () => {
    const { alice, conversationId } = await pairWithConversation();
    const command = send(conversationId, alice);
    const first = expectAccepted(await client.request(command));

    await client.send([command, command]);
    await waitFor(() => client.received.filter((r) => r.commandId === command.commandId).length >= 3);

    const answers = client.received.filter((r) => r.commandId === command.commandId).map(expectAccepted);
    expect(answers.map((a) => a.result.messageId)).toEqual([first.result.messageId, first.result.messageId, first.result.messageId]);
    expect(answers.slice(1).every((a) => a.result.duplicate === true)).toBe(true);
    expect(await sentMessageIds(conversationId)).toEqual([command.data.messageId]);
  });

  it('a retry with the same clientMessageId stores nothing and answers with the first messageId', async () => {
    const { alice, conversationId } = await pairWithConversation();
    const first = send(conversationId, alice, { clientMessageId: 'client-1' });
    const retry = send(conversationId, alice, { clientMessageId: 'client-1' });

    const a = expectAccepted(await client.request(first));
    const b = expectAccepted(await client.request(retry));

    expect(b.result).toMatchObject({ messageId: a.result.messageId, duplicate: true });
    expect(await sentMessageIds(conversationId)).toEqual([first.data.messageId]);
  });

  it('a block racing a burst of sends: no send is stored after the block, every send is answered', async () => {
    const { alice, bob, conversationId } = await pairWithConversation();
    const sends = Array.from({ length: 60 }, () => send(conversationId, alice));
    const blocking = block(bob, alice);
    const all = [...sends.slice(0, 30), blocking, ...sends.slice(30)];
    const answers = Promise.all(all.map((c) => client.answer(c.commandId)));
    // Two producers' worth of interleaving: the block lands somewhere inside the burst.
    await Promise.all([client.send(all.slice(0, 31)), client.send(all.slice(31))]);
    const results = await answers;

    const events = await store.readStream(conversationStream(conversationId));
    const blockedAt = events.findIndex((e) => e.type === EventType.UserBlocked);
    expect(blockedAt).toBeGreaterThan(0);
    expect(events.slice(blockedAt).some((e) => e.type === EventType.MessageSent)).toBe(false);
    const stored = new Set(await sentMessageIds(conversationId));
    sends.forEach((command) => {
      const result = results[all.indexOf(command)];
      if (stored.has(command.data.messageId)) expect(result?.type).toBe('CommandAccepted');
      else expect(result).toMatchObject({ type: 'CommandRejected', message: ErrorMessage.ActionNotAvailable });
    });
  });

  it('a poison message goes to the dead-letter topic and its partition keeps flowing', async () => {
    const dlq = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'dlq-reader' }).consumer(
      latencyConsumerConfig(`dlq-${randomUUID()}`),
    );
    const dead: { key: string; error: string }[] = [];
    await dlq.connect();
    await dlq.subscribe({ topic: Topic.CommandsDlq, fromBeginning: true });
    await dlq.run({
      eachMessage: async ({ message }) => {
        dead.push({ key: message.key?.toString() ?? '', error: message.headers?.[KafkaHeader.Error]?.toString() ?? '' });
      },
    });
    try {
      const { alice, conversationId } = await pairWithConversation();
      const producer = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'poison' }).producer();
      await producer.connect();
      const invalid = { ...send(conversationId, alice), data: { conversationId, text: 42 } };
      // Same key, so the same partition: the good command after the poison ones must still be handled.
      await producer.send({
        topic: Topic.Commands,
        messages: [
          { key: conversationId, value: '{not json' },
          { key: conversationId, value: JSON.stringify(invalid) },
        ],
      });
      await producer.disconnect();
      const invalidAnswer = client.answer(invalid.commandId);
      const good = expectAccepted(await client.request(send(conversationId, alice)));

      expect(good.result.messageId).toBeDefined();
      expect(await invalidAnswer).toMatchObject({ type: 'CommandRejected', code: 'invalid', message: expect.stringMatching(/^Invalid payload/) });
      await waitFor(() => dead.filter((d) => d.key === conversationId).length >= 2);
      expect(dead.filter((d) => d.key === conversationId).map((d) => d.error)).toEqual([
        expect.stringMatching(/^not JSON/),
        expect.stringMatching(/^Invalid payload/),
      ]);
    } finally {
      await dlq.disconnect();
    }
  });

  it('SIGKILLed and restarted while commands flow: every accepted command’s events exist exactly once', async () => {
    const pairs = await Promise.all(Array.from({ length: 10 }, () => pairWithConversation()));
    const commands = Array.from({ length: 400 }, (_, i) => {
      const pair = pairs[i % pairs.length] as { alice: string; conversationId: string };
      return send(pair.conversationId, pair.alice, { text: `message ${i}` });
    });
    const answers = Promise.all(commands.map((c) => client.answer(c.commandId, 90_000)));

    const producing = (async () => {
      for (let i = 0; i < commands.length; i += 20) {
        await client.send(commands.slice(i, i + 20));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await waitFor(() => client.received.length > 0 && commands.some((c) => client.received.some((r) => r.commandId === c.commandId)));
    await service.stop('SIGKILL');
    await service.start();
    await producing;
    const results = await answers;

    expect(results.every((r) => r.type === 'CommandAccepted')).toBe(true);
    const stored: string[] = [];
    for (const pair of pairs) stored.push(...(await sentMessageIds(pair.conversationId)));
    expect(stored).toHaveLength(commands.length);
    expect(new Set(stored).size).toBe(commands.length);
    expect(new Set(stored)).toEqual(new Set(commands.map((c) => c.data.messageId)));
  }, 180_000);
});
