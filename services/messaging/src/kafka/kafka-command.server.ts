import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import {
  type Command,
  type CommandResult,
  CommandType,
  type CommandTypeName,
  ErrorMessage,
  KafkaHeader,
  Topic,
  commandPartitionKey,
  commandTypeSchema,
  parseCommand,
} from '@chat/contracts';
import { BatchingProducer, SpanKind, TimedOffsetCommits, createKafka, ensureTopics, latencyConsumerConfig, reliableProducerConfig, startSpan, withActiveSpan } from '@chat/runtime';
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage, Message, Producer } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Outcome } from '../command-handling/command-handler';
import type { StreamGroup } from '../commands/command-processor';
import { PARTITIONS_REASSIGNED } from '../commands/commands.controller';
import { routeOf } from '../commands/command-routing';
import { isTransientError } from './transient-errors';

export interface KafkaCommandServerOptions {
  readonly brokers: readonly string[];
  readonly groupId?: string;
  readonly clientId?: string;
  /** Attempts for a group whose handling throws a non-transient error, before dead-lettering. */
  readonly maxAttempts?: number;
  /** Streams of one batch handled at once. */
  readonly streamConcurrency?: number;
}

interface Parsed {
  readonly message: KafkaMessage;
  readonly command: Command;
}

/** The consumer is stopping or lost the partition: abandon the batch, commit nothing. */
class BatchAbandoned extends Error {}

interface DeadLetter {
  readonly message: KafkaMessage;
  readonly error: string;
  /** Answer for the client, when the command was readable enough to address one. */
  readonly result?: CommandResult;
}

/**
 * The messaging service's Kafka transport, a NestJS custom transport strategy over kafkajs.
 *
 * Per partition batch: parse every command (an unreadable one goes to the dead-letter topic
 * at once), group the commands by stream keeping their order, hand each group to the
 * `Topic.Commands` handler (streams in parallel, each stream's commands in order), publish
 * every answer and dead letter of the batch in one produce, and only then commit the
 * batch's offsets. A crash anywhere before the commit redelivers the batch, which the
 * handler recognises command by command (at-least-once in, exactly-once in effect).
 *
 * Errors: a transient one (the event store or Kafka unreachable) is retried with backoff for
 * as long as it lasts: the partition waits, nothing is skipped. Anything else is retried a
 * few times command by command, then the command goes to the dead-letter topic with its
 * error and its sender hears it failed: one poison message never blocks its partition.
 */
export class KafkaCommandServer extends Server implements CustomTransportStrategy {
  private readonly kafka;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private commits: TimedOffsetCommits | undefined;
  /** Batches of all partitions finish at once; their answers share produce requests. */
  private batching: BatchingProducer | undefined;
  private readonly maxAttempts: number;
  private readonly streamConcurrency: number;
  private readonly groupId: string;
  private joined = false;

  constructor(private readonly options: KafkaCommandServerOptions) {
    super();
    this.kafka = createKafka({ brokers: options.brokers, clientId: options.clientId ?? 'messaging' });
    this.maxAttempts = options.maxAttempts ?? 3;
    this.streamConcurrency = options.streamConcurrency ?? 16;
    this.groupId = options.groupId ?? 'messaging';
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await ensureTopics(this.kafka);
      this.producer = this.kafka.producer(reliableProducerConfig());
      await this.producer.connect();
      this.batching = new BatchingProducer(this.producer);
      this.consumer = this.kafka.consumer(latencyConsumerConfig(this.groupId));
      const commits = new TimedOffsetCommits(this.consumer, { log: (line) => this.logger.warn(line) });
      this.commits = commits;
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        this.joined = true;
        void this.notifyReassigned();
      });
      this.consumer.on(this.consumer.events.CRASH, () => {
        this.joined = false;
      });
      this.consumer.on(this.consumer.events.STOP, () => {
        this.joined = false;
      });
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: Topic.Commands, fromBeginning: true });
      await this.consumer.run({
        partitionsConsumedConcurrently: 8,
        eachBatchAutoResolve: false,
        // kafkajs fetches again only when every batch of a fetch is done, so an offset commit in
        // each batch would sit in every command's path (TimedOffsetCommits). Committing once a
        // second instead only widens the window a crash redelivers, which the handler absorbs.
        autoCommit: false,
        eachBatch: (payload) => commits.track(() => this.handleBatch(payload, commits)),
      });
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** True while the consumer is a member of its group (health). */
  get ready(): boolean {
    return this.joined;
  }

  async close(): Promise<void> {
    await this.commits?.stop();
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  on(): never {
    throw new Error('KafkaCommandServer has no events to listen to');
  }

  unwrap<T>(): T {
    return { consumer: this.consumer, producer: this.producer } as T;
  }

  private async notifyReassigned(): Promise<void> {
    const handler = this.getHandlerByPattern(PARTITIONS_REASSIGNED);
    if (handler) await handler(undefined);
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload, commits: TimedOffsetCommits): Promise<void> {
    // A clean stop waits for this batch: an outage must not keep it retrying meanwhile.
    const running = (): boolean => isRunning() && commits.accepting;
    if (batch.messages.length === 0 || !running()) return;
    const deadLetters: DeadLetter[] = [];
    const parsed: Parsed[] = [];
    for (const message of batch.messages) {
      const result = parseMessage(message);
      if ('command' in result) parsed.push(result);
      else deadLetters.push(result);
    }

    const groups = groupByStream(parsed);
    const results: CommandResult[] = [];
    try {
      await runWithConcurrency(groups, this.streamConcurrency, async (group) => {
        const outcomes = await this.handleGroup(group, heartbeat, running, deadLetters);
        group.forEach((item, i) => {
          const outcome = outcomes[i];
          if (outcome && item.command.metadata.unanswered !== true) results.push(resultOf(item.command, outcome));
        });
      });
    } catch (err) {
      if (err instanceof BatchAbandoned) return;
      throw err;
    }
    // Rebalanced mid-batch: the next owner redoes it. A clean stop still answers what it did.
    if (!isRunning() || isStale()) return;

    await this.publish(batch.topic, results, deadLetters);
    const last = batch.messages[batch.messages.length - 1];
    if (last) {
      resolveOffset(last.offset);
      commits.handled(batch.topic, batch.partition, last.offset);
    }
    await heartbeat();
  }

  /**
   * Outcomes for the group, in order; a command that could not be handled is undefined.
   *
   * Each command gets a span in the trace it brought (the gateway's); its events carry that
   * span's context on (event metadata), so the projections and the push back to the client
   * continue the same trace. The group is decided and appended at once, in the first span.
   */
  private async handleGroup(
    untraced: readonly Parsed[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
    deadLetters: DeadLetter[],
  ): Promise<(Outcome | undefined)[]> {
    const spans = untraced.map(({ command }) =>
      startSpan(`handle ${command.type}`, {
        kind: SpanKind.CONSUMER,
        parent: command.metadata,
        attributes: { 'chat.command_id': command.commandId, 'chat.stream': routeOf(command).streamName },
      }),
    );
    const group = untraced.map((item, i) => ({ ...item, command: { ...item.command, metadata: { ...item.command.metadata, ...spans[i]?.traceContext } } as Command }));
    const [first] = spans;
    try {
      return await (first ? withActiveSpan(first.span, () => this.handleGroupTraced(group, heartbeat, isRunning, deadLetters)) : this.handleGroupTraced(group, heartbeat, isRunning, deadLetters));
    } finally {
      for (const { span } of spans) span.end();
    }
  }

  private async handleGroupTraced(
    group: readonly Parsed[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
    deadLetters: DeadLetter[],
  ): Promise<(Outcome | undefined)[]> {
    try {
      return await this.withTransientRetry(() => this.invoke(group.map((p) => p.command)), heartbeat, isRunning);
    } catch (err) {
      if (err instanceof BatchAbandoned) throw err;
      // Find the culprit: command by command, in order, each with its own attempts.
    }
    const outcomes: (Outcome | undefined)[] = [];
    for (const item of group) {
      let lastError: unknown;
      let outcome: Outcome | undefined;
      for (let attempt = 1; attempt <= this.maxAttempts && outcome === undefined; attempt++) {
        try {
          outcome = (await this.withTransientRetry(() => this.invoke([item.command]), heartbeat, isRunning))[0];
        } catch (err) {
          if (err instanceof BatchAbandoned) throw err;
          lastError = err;
          await sleep(50 * attempt);
        }
      }
      if (outcome === undefined) {
        const error = lastError instanceof Error ? lastError.message : String(lastError);
        this.logger.error(`command ${item.command.commandId} (${item.command.type}) failed ${this.maxAttempts} times: ${error}`);
        deadLetters.push({ message: item.message, error, ...(item.command.metadata.unanswered === true ? {} : { result: failureResult(item.command) }) });
      }
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private async invoke(commands: readonly Command[]): Promise<Outcome[]> {
    const handler = this.getHandlerByPattern(Topic.Commands);
    if (!handler) throw new Error(`no handler registered for ${Topic.Commands}`);
    const first = commands[0];
    if (!first) return [];
    const group: StreamGroup = { streamName: routeOf(first).streamName, commands };
    const answer: unknown = await handler(group);
    const outcomes = isObservable(answer) ? await lastValueFrom(answer) : answer;
    return outcomes as Outcome[];
  }

  private async withTransientRetry<T>(work: () => Promise<T>, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<T> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
      try {
        return await work();
      } catch (err) {
        if (!isTransientError(err)) throw err;
        // Waiting out an outage is pointless once the partition is going elsewhere, and a
        // command must not be dead-lettered for an outage: give the whole batch back.
        if (!isRunning()) throw new BatchAbandoned('consumer stopping during a transient failure');
        this.logger.warn(`transient failure, retrying in ${delay} ms: ${err instanceof Error ? err.message : String(err)}`);
        await sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  private async publish(topic: string, results: readonly CommandResult[], deadLetters: readonly DeadLetter[]): Promise<void> {
    const batching = this.batching;
    if (!batching) throw new Error('producer not connected');
    const answers: Message[] = [...results, ...deadLetters.flatMap((d) => (d.result ? [d.result] : []))].map((result) => ({
      key: result.gatewayId,
      value: JSON.stringify(result),
      headers: { [KafkaHeader.Type]: result.type, [KafkaHeader.CommandId]: result.commandId },
    }));
    const dead: Message[] = deadLetters.map((d) => ({
      key: d.message.key,
      value: d.message.value,
      headers: {
        ...d.message.headers,
        [KafkaHeader.Error]: d.error.slice(0, 2000),
        'original-topic': topic,
        'original-offset': d.message.offset,
      } satisfies IHeaders,
    }));
    // Dead letters first: a command is never answered "failed" without its dead letter kept.
    if (dead.length > 0) await batching.send(Topic.CommandsDlq, dead);
    if (answers.length > 0) await batching.send(Topic.CommandResults, answers);
  }
}

function parseMessage(message: KafkaMessage): Parsed | DeadLetter {
  let raw: unknown;
  try {
    raw = JSON.parse(message.value?.toString('utf8') ?? '');
  } catch (err) {
    return { message, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = parseCommand(raw);
  if (parsed.success) return { message, command: parsed.data };
  return { message, error: parsed.message, ...addressedRejection(raw, parsed.message) };
}

/** A malformed command still gets an answer when it says who is waiting for one. */
function addressedRejection(raw: unknown, message: string): { result?: CommandResult } {
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const metadata = (typeof r.metadata === 'object' && r.metadata !== null ? r.metadata : {}) as Record<string, unknown>;
  const type = commandTypeSchema.safeParse(r.type);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!type.success || typeof r.commandId !== 'string' || !uuid.test(r.commandId) || typeof metadata.gatewayId !== 'string') {
    return {};
  }
  return {
    result: {
      type: 'CommandRejected',
      version: 1,
      commandId: r.commandId,
      gatewayId: metadata.gatewayId.slice(0, 200),
      ...(typeof metadata.socketId === 'string' ? { socketId: metadata.socketId.slice(0, 200) } : {}),
      commandType: type.data,
      code: 'invalid',
      message,
    },
  };
}

function groupByStream(parsed: readonly Parsed[]): Parsed[][] {
  const groups = new Map<string, Parsed[]>();
  for (const item of parsed) {
    const key = commandPartitionKey(item.command);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}

function resultOf(command: Command, outcome: Outcome): CommandResult {
  const base = {
    version: 1 as const,
    commandId: command.commandId,
    gatewayId: command.metadata.gatewayId,
    ...(command.metadata.socketId === undefined ? {} : { socketId: command.metadata.socketId }),
    commandType: command.type,
  };
  return outcome.kind === 'accepted'
    ? { type: 'CommandAccepted', ...base, result: outcome.result, ...(outcome.position === undefined ? {} : { position: outcome.position }) }
    : { type: 'CommandRejected', ...base, code: outcome.code, message: outcome.message };
}

const failureMessages: Partial<Record<CommandTypeName, string>> = {
  [CommandType.SendMessage]: ErrorMessage.FailedToSend,
  [CommandType.MarkMessagesRead]: ErrorMessage.FailedToMarkRead,
};

function failureResult(command: Command): CommandResult {
  return resultOf(command, {
    kind: 'rejected',
    code: 'internal',
    message: failureMessages[command.type] ?? ErrorMessage.FailedToProcess,
  });
}

async function runWithConcurrency<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
