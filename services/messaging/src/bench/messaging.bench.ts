import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import {
  type Command,
  type CommandOf,
  EventType,
  conversationStream,
  directConversationId,
} from '@chat/contracts';
import { type EventToAppend, PostgresEventStore, recordBenchmarkSection, resolveInfrastructure } from '@chat/runtime';
import { ObjectId } from 'mongodb';
import { CommandClient } from '../testing/command-client';
import { messagingProcess } from '../testing/messaging-process';

/**
 * Write-side benchmark: commands through Kafka, the messaging service (its own process) and
 * the PostgreSQL event store, answers back on the results topic. Prints, and records in
 * docs/benchmarks.md:
 *   - command → append → result latency (p50/p99) at a fixed 200 commands/s;
 *   - the highest throughput with 400 commands in flight, and its latency;
 *   - the cost of one send in conversations of 10, 10,000 and 100,000 messages.
 *
 * Run: npm run bench:messaging  (servers on loopback only, started and stopped by itself)
 */

const id = (): string => new ObjectId().toHexString();

interface Stats {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

class Bench {
  constructor(
    private readonly client: CommandClient,
    private readonly store: PostgresEventStore,
  ) {}

  envelope<T extends Command['type']>(type: T, userId: string) {
    return { type, version: 1 as const, commandId: randomUUID(), metadata: this.client.metadata(userId) };
  }

  send(conversationId: string, senderId: string, text: string): CommandOf<'SendMessage'> {
    return {
      ...this.envelope('SendMessage', senderId),
      data: { conversationId, messageId: id(), senderId, text, media: [], messageType: 'text', replyTo: null, clientMessageId: null },
    };
  }

  async conversation(): Promise<{ alice: string; conversationId: string }> {
    const alice = id();
    const bob = id();
    const created: CommandOf<'CreateDirectConversation'> = {
      ...this.envelope('CreateDirectConversation', alice),
      data: { conversationId: directConversationId(alice, bob), creatorId: alice, otherUserId: bob },
    };
    const answer = await this.client.request(created);
    if (answer.type !== 'CommandAccepted') throw new Error(`setup failed: ${JSON.stringify(answer)}`);
    return { alice, conversationId: created.data.conversationId };
  }

  /** Latency of each command, from handing it to Kafka to its answer arriving. */
  async timed(commands: readonly Command[]): Promise<number[]> {
    const started = performance.now();
    const answers = commands.map((c) => this.client.answer(c.commandId, 120_000).then(() => performance.now() - started));
    await this.client.send(commands);
    return Promise.all(answers);
  }

  async fixedRate(rate: number, seconds: number, conversations: readonly { alice: string; conversationId: string }[]): Promise<Stats> {
    const latencies: Promise<number[]>[] = [];
    const total = rate * seconds;
    const tickMs = 10;
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      if (due > sent) {
        const batch: Command[] = [];
        for (; sent < due; sent++) {
          const c = conversations[sent % conversations.length] as { alice: string; conversationId: string };
          batch.push(this.send(c.conversationId, c.alice, `fixed ${sent}`));
        }
        latencies.push(this.timed(batch));
      }
      await new Promise((r) => setTimeout(r, tickMs));
    }
    return stats((await Promise.all(latencies)).flat());
  }

  async saturate(inFlight: number, seconds: number, conversations: readonly { alice: string; conversationId: string }[]): Promise<{ rate: number; latency: Stats }> {
    const samples: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    let n = 0;
    const start = performance.now();
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const c = conversations[n++ % conversations.length] as { alice: string; conversationId: string };
        const command = this.send(c.conversationId, c.alice, `load ${n}`);
        const t0 = performance.now();
        const answer = this.client.answer(command.commandId, 120_000);
        await this.client.send([command]);
        await answer;
        samples.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const elapsed = (performance.now() - start) / 1000;
    return { rate: samples.length / elapsed, latency: stats(samples) };
  }

  /** Appends `length` MessageSent events straight to the store: history to send into. */
  async seed(conversationId: string, senderId: string, length: number): Promise<void> {
    const stream = conversationStream(conversationId);
    let revision = await this.store.streamRevision(stream);
    const commandId = randomUUID();
    for (let i = 0; i < length; i += 1000) {
      const events: EventToAppend[] = [];
      for (let j = i; j < Math.min(length, i + 1000); j++) {
        events.push({
          id: randomUUID(),
          type: EventType.MessageSent,
          data: {
            conversationId,
            messageId: id(),
            senderId,
            text: `history ${j}`,
            media: [],
            messageType: 'text',
            replyTo: null,
            clientMessageId: null,
            sentAt: new Date().toISOString(),
          },
          metadata: {
            commandId,
            correlationId: commandId,
            causationId: commandId,
            userId: senderId,
            schemaVersion: 1,
            occurredAt: new Date().toISOString(),
          },
        });
      }
      const result = await this.store.appendToStream(stream, events, { expectedRevision: revision ?? 'no_stream' });
      revision = result.nextExpectedRevision;
    }
  }

  /** One send at a time into a conversation of `length` messages. */
  async perSendCost(length: number, sends: number): Promise<{ coldMs: number; latency: Stats }> {
    const { alice, conversationId } = await this.conversation();
    await this.seed(conversationId, alice, length);
    // Forget the conversation in the service: its first command after seeding loads it (timed as cold).
    const cold = await this.timed([this.send(conversationId, alice, 'cold')]);
    const samples: number[] = [];
    for (let i = 0; i < sends; i++) samples.push(...(await this.timed([this.send(conversationId, alice, `warm ${i}`)])));
    return { coldMs: cold[0] ?? NaN, latency: stats(samples) };
  }
}

function record(markdown: string): void {
  recordBenchmarkSection({ begin: '<!-- messaging-bench:begin -->', end: '<!-- messaging-bench:end -->' }, markdown);
}

async function main(): Promise<void> {
  const infrastructure = await resolveInfrastructure({ profile: 'bench', dependencies: ['kafka', 'postgres', 'mongodb', 'redis'] });
  const service = messagingProcess({ ...process.env, ...infrastructure.env(), MESSAGING_GROUP_ID: 'messaging-bench' });
  const client = new CommandClient(infrastructure.endpoints.kafkaBrokers);
  const store = new PostgresEventStore({ connectionString: infrastructure.endpoints.postgresUrl });
  try {
    await service.start();
    await client.start();
    const bench = new Bench(client, store);
    const conversations = await Promise.all(Array.from({ length: 100 }, () => bench.conversation()));
    console.log('warm-up…');
    await bench.fixedRate(200, 3, conversations);

    console.log('fixed rate: 200 commands/s for 20 s over 100 conversations');
    const fixed = await bench.fixedRate(200, 20, conversations);
    console.log(`  p50 ${ms(fixed.p50)}  p99 ${ms(fixed.p99)}  max ${ms(fixed.max)}  (${fixed.count} commands)`);

    console.log('throughput: 400 commands in flight for 20 s over 100 conversations');
    const load = await bench.saturate(400, 20, conversations);
    console.log(`  ${load.rate.toFixed(0)} commands/s  p50 ${ms(load.latency.p50)}  p99 ${ms(load.latency.p99)}`);

    const lengths = [10, 10_000, 100_000];
    const costs: { length: number; coldMs: number; latency: Stats }[] = [];
    for (const length of lengths) {
      console.log(`per-send cost: conversation of ${length} messages, 300 sends one at a time`);
      const cost = await bench.perSendCost(length, 300);
      costs.push({ length, ...cost });
      console.log(`  p50 ${ms(cost.latency.p50)}  p99 ${ms(cost.latency.p99)}  (first send, loading the stream: ${ms(cost.coldMs)})`);
    }
    const ratio = (costs[2]?.latency.p50 ?? NaN) / (costs[0]?.latency.p50 ?? NaN);
    console.log(`per-send p50 at 100,000 / at 10: ${ratio.toFixed(2)}x`);

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    record(
      [
        '## Write side: commands through Kafka, messaging, PostgreSQL event store',
        '',
        `Command: \`npm run bench:messaging\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}; local Kafka 3.9.1 and PostgreSQL with durable settings, everything on this one machine).`,
        'Latency is from handing the command to the Kafka producer to its answer arriving on the results topic.',
        '',
        '| measure | result |',
        '|---|---|',
        `| 200 commands/s for 20 s (${fixed.count} sends, 100 conversations) | p50 ${ms(fixed.p50)}, p99 ${ms(fixed.p99)}, max ${ms(fixed.max)} |`,
        `| throughput, 400 in flight for 20 s | ${load.rate.toFixed(0)} commands/s, p50 ${ms(load.latency.p50)}, p99 ${ms(load.latency.p99)} |`,
        ...costs.map(
          (c) =>
            `| one send at a time into ${c.length.toLocaleString('en-US')} messages (300 sends) | p50 ${ms(c.latency.p50)}, p99 ${ms(c.latency.p99)}; first send (folds the whole stream: the seeded history has no snapshot) ${ms(c.coldMs)} |`,
        ),
        `| per-send p50, 100,000 vs 10 messages | ${ratio.toFixed(2)}x |`,
      ].join('\n'),
    );
    console.log('recorded in docs/benchmarks.md');
  } finally {
    await client.stop().catch(() => undefined);
    await service.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    await infrastructure.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
