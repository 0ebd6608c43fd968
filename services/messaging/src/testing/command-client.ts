import { randomUUID } from 'node:crypto';
import {
  type Command,
  type CommandResult,
  KafkaHeader,
  Topic,
  commandPartitionKey,
  parseCommandResult,
} from '@chat/contracts';
import { BatchingProducer, createKafka, latencyConsumerConfig, reliableProducerConfig } from '@chat/runtime';
import type { Consumer, Producer } from 'kafkajs';

/**
 * What a gateway does with commands, for tests and benchmarks: produce commands keyed as
 * the contracts say, and wait for each answer on the results topic, addressed to this
 * client's own gateway id.
 */
export class CommandClient {
  readonly gatewayId = `test-gateway-${randomUUID()}`;
  private readonly kafka;
  private producer: Producer | undefined;
  private batching: BatchingProducer | undefined;
  private consumer: Consumer | undefined;
  private readonly waiting = new Map<string, (result: CommandResult) => void>();
  /** Every answer received, in arrival order, duplicates included. */
  readonly received: CommandResult[] = [];

  constructor(brokers: readonly string[]) {
    this.kafka = createKafka({ brokers, clientId: this.gatewayId });
  }

  async start(): Promise<void> {
    this.producer = this.kafka.producer(reliableProducerConfig());
    await this.producer.connect();
    this.batching = new BatchingProducer(this.producer);
    this.consumer = this.kafka.consumer(latencyConsumerConfig(this.gatewayId));
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topic.CommandResults, fromBeginning: false });
    let joined!: () => void;
    const ready = new Promise<void>((resolve) => (joined = resolve));
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => joined());
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== this.gatewayId) return;
        const parsed = parseCommandResult(JSON.parse(message.value?.toString() ?? 'null'));
        if (!parsed.success) throw new Error(`unreadable result: ${parsed.message}`);
        this.received.push(parsed.data);
        this.waiting.get(parsed.data.commandId)?.(parsed.data);
      },
    });
    await ready;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /** Builds command metadata addressed to this client. */
  metadata(userId: string): Command['metadata'] {
    return {
      userId,
      gatewayId: this.gatewayId,
      socketId: `socket-${userId}`,
      correlationId: randomUUID(),
      issuedAt: new Date().toISOString(),
    };
  }

  async send(commands: readonly Command[]): Promise<void> {
    if (!this.batching) throw new Error('start() first');
    await this.batching.send(
      Topic.Commands,
      commands.map((command) => ({
        key: commandPartitionKey(command),
        value: JSON.stringify(command),
        headers: { [KafkaHeader.Type]: command.type, [KafkaHeader.CommandId]: command.commandId },
      })),
    );
  }

  /** Resolves with the first answer to `commandId` (already received or still to come). */
  answer(commandId: string, timeoutMs = 20_000): Promise<CommandResult> {
    const known = this.received.find((r) => r.commandId === commandId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(commandId);
        reject(new Error(`no answer to command ${commandId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(commandId, (result) => {
        clearTimeout(timer);
        this.waiting.delete(commandId);
        resolve(result);
      });
    });
  }

  async request(command: Command, timeoutMs?: number): Promise<CommandResult> {
    const answer = this.answer(command.commandId, timeoutMs);
    await this.send([command]);
    return answer;
  }
}
