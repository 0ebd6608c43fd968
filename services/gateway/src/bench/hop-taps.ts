import { Topic, type TopicName, parseCommand, parseCommandResult, parseNotification } from '@chat/contracts';
import { createKafka, latencyConsumerConfig } from '@chat/runtime';
import { type Consumer, type KafkaMessage, logLevel } from 'kafkajs';
import { type Cleanup, withTimeout } from './cleanup';
import type { SentMessage } from './load';
import { type Summary, now, sleep, summarize } from './stats';

/** When the bench process read a record, and the record's own timestamp (set by its producer when it sent it). */
interface Seen {
  readonly seenAt: number;
  readonly producedAt: number;
}

interface CommandSeen extends Seen {
  readonly commandId: string;
  /** Chosen by the gateway; the notification names the message by it. */
  readonly messageId: string;
}

/**
 * Consumers of their own (own groups, from the end of each topic) on the three topics a chat
 * message crosses, noting when each record of this run went by. What they see is late by
 * their own fetch (as every service's consumer is): the record timestamps, set by the
 * producing service, give a second view without that delay, at millisecond resolution.
 */
export class HopTaps {
  /** SendMessage commands, by the sequence number in their text. */
  readonly commands = new Map<number, CommandSeen>();
  /** CommandAccepted, by command id. */
  readonly results = new Map<string, Seen>();
  /** new:message notifications, by message id. */
  readonly notifications = new Map<string, Seen>();
  private readonly consumers: Consumer[] = [];

  constructor(
    private readonly brokers: readonly string[],
    private readonly runId: string,
    private readonly seqOf: (text: string | null) => number | undefined,
  ) {}

  /** Resolves once every tap has joined its group and so reads what is produced from now on. */
  async start(cleanup: Cleanup): Promise<void> {
    const kafka = createKafka({ brokers: this.brokers, clientId: `bench-taps-${this.runId}`, level: logLevel.ERROR });
    cleanup.add('the tap consumers', () => this.stop());
    const joined = [Topic.Commands, Topic.CommandResults, Topic.Notifications].map(async (topic) => {
      const consumer = kafka.consumer(latencyConsumerConfig(`bench-tap-${topic}-${this.runId}`));
      this.consumers.push(consumer);
      const join = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          // One time for the batch: its records arrived in one fetch; parsing them is the tap's own cost.
          const seenAt = now();
          for (const message of batch.messages) this.note(topic, message, seenAt);
        },
      });
      await withTimeout(join, 60_000, `the ${topic} tap joining its group`);
    });
    await Promise.all(joined);
    // A new group's start offset is resolved at its first fetch, just after the join.
    await sleep(1_000);
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((consumer) => consumer.disconnect()));
  }

  private note(topic: TopicName, message: KafkaMessage, seenAt: number): void {
    const value = message.value?.toString();
    if (value === undefined) return;
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch {
      return;
    }
    const seen = { seenAt, producedAt: Number(message.timestamp) };
    if (topic === Topic.Commands) {
      const parsed = parseCommand(raw);
      if (!parsed.success || parsed.data.type !== 'SendMessage') return;
      const seq = this.seqOf(parsed.data.data.text);
      if (seq !== undefined) this.commands.set(seq, { ...seen, commandId: parsed.data.commandId, messageId: parsed.data.data.messageId });
    } else if (topic === Topic.CommandResults) {
      const parsed = parseCommandResult(raw);
      if (parsed.success && parsed.data.type === 'CommandAccepted') this.results.set(parsed.data.commandId, seen);
    } else {
      const parsed = parseNotification(raw);
      if (parsed.success && parsed.data.event === 'new:message') this.notifications.set(parsed.data.payload.message._id, seen);
    }
  }
}

/** One message's way through the system: t* as the bench saw it, p* as each record's producer stamped it. */
interface Journey {
  readonly t0: number;
  readonly t1: number;
  readonly p1: number;
  readonly t2: number;
  readonly p2: number;
  readonly t3: number;
  readonly p3: number;
  readonly t4: number;
}

export interface HopRow {
  readonly hop: string;
  readonly what: string;
  readonly summary: Summary;
}

export interface HopFigures {
  readonly sampled: number;
  /** Messages some tap missed (or that were never delivered): left out. */
  readonly incomplete: number;
  readonly seen: readonly HopRow[];
  readonly stamped: readonly HopRow[];
  readonly handover: readonly HopRow[];
}

export function hopFigures(records: readonly SentMessage[], taps: HopTaps): HopFigures {
  const journeys = records.map((m) => journeyOf(m, taps)).filter((j) => j !== undefined);
  const row = (hop: string, what: string, of: (j: Journey) => number): HopRow => ({ hop, what, summary: summarize(journeys.map(of)) });
  return {
    sampled: journeys.length,
    incomplete: records.length - journeys.length,
    seen: [
      row('t1 − t0', 'gateway: socket event → SendMessage on the commands topic', (j) => j.t1 - j.t0),
      row('t2 − t1', 'messaging: fetch, decide, append, CommandAccepted on the results topic', (j) => j.t2 - j.t1),
      row('t3 − t2', 'projections: → new:message on the notifications topic', (j) => j.t3 - j.t2),
      row('t4 − t3', 'gateway relay: → new:message at the recipient socket', (j) => j.t4 - j.t3),
      row('t4 − t0', 'end to end, same messages', (j) => j.t4 - j.t0),
    ],
    stamped: [
      row('p1 − t0', 'gateway: socket event → command sent by its producer', (j) => j.p1 - j.t0),
      row('p2 − p1', 'Kafka → messaging → CommandAccepted sent', (j) => j.p2 - j.p1),
      row('p3 − p2', 'projections: notification sent, after CommandAccepted sent (they race: both follow the append)', (j) => j.p3 - j.p2),
      row('t4 − p3', 'Kafka → gateway relay → recipient socket', (j) => j.t4 - j.p3),
    ],
    handover: [
      row('t1 − p1', 'commands topic: produced → read by a tap', (j) => j.t1 - j.p1),
      row('t2 − p2', 'results topic: produced → read by a tap', (j) => j.t2 - j.p2),
      row('t3 − p3', 'notifications topic: produced → read by a tap', (j) => j.t3 - j.p3),
    ],
  };
}

function journeyOf(m: SentMessage, taps: HopTaps): Journey | undefined {
  const command = taps.commands.get(m.seq);
  const result = command && taps.results.get(command.commandId);
  const notification = command && taps.notifications.get(command.messageId);
  if (!command || !result || !notification || m.deliveredAt === undefined) return undefined;
  return {
    t0: m.emittedAt,
    t1: command.seenAt,
    p1: command.producedAt,
    t2: result.seenAt,
    p2: result.producedAt,
    t3: notification.seenAt,
    p3: notification.producedAt,
    t4: m.deliveredAt,
  };
}
