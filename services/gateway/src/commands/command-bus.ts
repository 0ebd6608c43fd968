import {
  type Command,
  type CommandMetadata,
  type CommandResult,
  Topic,
  parseCommandResult,
} from '@chat/contracts';
import { BatchingProducer, JsonTopicConsumer, activeTraceContext, commandMessage, reliableProducerConfig } from '@chat/runtime';
import type { Kafka, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/** The write side did not answer in time; the command may still be applied later. */
export class CommandTimeoutError extends Error {
  constructor(readonly commandId: string, timeoutMs: number) {
    super(`no answer to command ${commandId} within ${timeoutMs} ms`);
  }
}

interface Pending {
  readonly resolve: (result: CommandResult) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export type CommandEnvelope = Pick<CommandMetadata, 'userId' | 'socketId' | 'traceparent' | 'tracestate'>;

/**
 * Commands out, answers in. A command goes to the commands topic keyed by its stream (so one
 * conversation's commands stay in order) through a batching producer; its answer comes back
 * on the results topic, which every gateway reads with a consumer group of its own, keeping
 * the answers addressed to it. A command is sent once: a retry would be a new command, and
 * the messaging service's recent-command window only guards redelivery of the same one.
 */
export class CommandBus {
  private readonly producer: Producer;
  private readonly batching: BatchingProducer;
  private readonly results: JsonTopicConsumer<CommandResult>;
  private readonly pending = new Map<string, Pending>();

  constructor(
    kafka: Kafka,
    readonly gatewayId: string,
    private readonly timeoutMs: number,
    log: (line: string) => void = () => undefined,
    /** Told of each accepted command's position before its caller hears the answer (read-your-writes). */
    private readonly accepted: (userId: string, position: string | undefined) => void = () => undefined,
  ) {
    this.producer = kafka.producer(reliableProducerConfig());
    this.batching = new BatchingProducer(this.producer);
    // Only answers to commands sent from now on matter: a new group starts at the end.
    this.results = new JsonTopicConsumer(kafka, {
      groupId: `gateway-results-${gatewayId}`,
      topic: Topic.CommandResults,
      parse: parseCommandResult,
      // Read from the live edge at every start: offsets committed would never be read back.
      commitOffsets: false,
      onlyKey: gatewayId,
      handle: (result) => this.settle(result),
      log,
    });
  }

  get ready(): boolean {
    return this.results.ready;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.results.start();
  }

  /** Every field of the metadata but the caller's own is filled in here. */
  /** The caller's envelope, this gateway, and the trace context of the span the command is sent in. */
  metadata(envelope: CommandEnvelope): CommandMetadata {
    return {
      ...activeTraceContext(),
      ...envelope,
      gatewayId: this.gatewayId,
      correlationId: randomUUID(),
      issuedAt: new Date().toISOString(),
    };
  }

  /** Sends the command; resolves with the write side's answer, or rejects with a timeout. */
  async dispatch(command: Command): Promise<CommandResult> {
    const answer = new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(command.commandId);
        reject(new CommandTimeoutError(command.commandId, this.timeoutMs));
      }, this.timeoutMs);
      this.pending.set(command.commandId, { resolve, reject, timer });
    });
    // The timer may fire while the send below is still retrying; the rejection is the
    // caller's, once it awaits the answer, and must not count as unhandled meanwhile.
    answer.catch(() => undefined);
    try {
      await this.batching.send(Topic.Commands, [commandMessage(command)]);
    } catch (err) {
      const waiting = this.pending.get(command.commandId);
      if (waiting) {
        clearTimeout(waiting.timer);
        this.pending.delete(command.commandId);
      }
      throw err;
    }
    const result = await answer;
    if (result.type === 'CommandAccepted') this.accepted(command.metadata.userId, result.position);
    return result;
  }

  private settle(result: CommandResult): void {
    const waiting = this.pending.get(result.commandId);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.pending.delete(result.commandId);
    waiting.resolve(result);
  }

  async stop(): Promise<void> {
    for (const [commandId, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error(`gateway stopping before command ${commandId} was answered`));
    }
    this.pending.clear();
    await this.results.stop();
    await this.producer.disconnect();
  }
}
