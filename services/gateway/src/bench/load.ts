import type { AckResponse, SendMessageAck } from '@chat/contracts';
import type { Pair } from './clients';
import { now, sleep } from './stats';

/** What became of one `send:message`; times in epoch milliseconds (see {@link now}). */
export interface SentMessage {
  readonly seq: number;
  readonly emittedAt: number;
  /** The acknowledgement: the command's CommandAccepted came back to the gateway. */
  ackedAt?: number;
  messageId?: string;
  /** `message:sent` at the sender: the read side has the message. */
  confirmedAt?: number;
  /** `new:message` at the recipient. */
  deliveredAt?: number;
  /** A refused send (the acknowledgement's message): never expected in a healthy run. */
  failure?: string;
}

/** A message not received within this long after its emit counts as lost. */
export const LOSS_TIMEOUT_MS = 10_000;

/**
 * Sends through the pairs and notes when each answer, confirmation and delivery arrives.
 * A message is found again by its text, which carries the run's tag and a sequence number:
 * unique, and readable from every hop (the command on Kafka and the recipient's event).
 */
export class MessageTracker {
  private readonly sent: SentMessage[] = [];
  private readonly byMessageId = new Map<string, SentMessage>();
  /** `message:sent` that overtook its acknowledgement (possible: they travel separate topics). */
  private readonly confirmedBeforeAck = new Map<string, number>();
  private readonly textPattern: RegExp;

  constructor(
    private readonly tag: string,
    private readonly pairs: readonly Pair[],
  ) {
    this.textPattern = new RegExp(`^${tag} #(\\d+)$`);
    for (const pair of pairs) this.listen(pair);
  }

  /** The sequence number in a message text of this run, if it is one. */
  seqOf(text: string | null): number | undefined {
    const match = text === null ? null : this.textPattern.exec(text);
    return match ? Number(match[1]) : undefined;
  }

  get count(): number {
    return this.sent.length;
  }

  /** Messages from `from` (a {@link count} taken earlier) up to now. */
  since(from: number): SentMessage[] {
    return this.sent.slice(from);
  }

  /** Emits the next message from the next pair in turn, so the load spreads evenly. */
  send(): SentMessage {
    const seq = this.sent.length;
    const pair = this.pairs[seq % this.pairs.length] as Pair;
    const record: SentMessage = { seq, emittedAt: now() };
    this.sent.push(record);
    pair.sender.emit('send:message', { conversationId: pair.conversationId, text: `${this.tag} #${seq}`, messageType: 'text' }, (answer) =>
      this.acknowledged(record, answer),
    );
    return record;
  }

  private listen(pair: Pair): void {
    pair.recipient.on('new:message', ({ message }) => {
      const at = now();
      const seq = this.seqOf(message.text);
      const record = seq === undefined ? undefined : this.sent[seq];
      if (record && record.deliveredAt === undefined) record.deliveredAt = at;
    });
    pair.sender.on('message:sent', ({ messageId }) => {
      const at = now();
      const record = this.byMessageId.get(messageId);
      if (record) record.confirmedAt ??= at;
      else this.confirmedBeforeAck.set(messageId, at);
    });
  }

  private acknowledged(record: SentMessage, answer: AckResponse<SendMessageAck>): void {
    record.ackedAt = now();
    if (!answer.success) {
      record.failure = answer.message;
      return;
    }
    record.messageId = answer.messageId;
    this.byMessageId.set(answer.messageId, record);
    const early = this.confirmedBeforeAck.get(answer.messageId);
    if (early !== undefined) {
      record.confirmedAt = early;
      this.confirmedBeforeAck.delete(answer.messageId);
    }
  }
}

export interface SendingRun {
  readonly records: readonly SentMessage[];
  readonly startedAt: number;
  readonly lastEmitAt: number;
}

/**
 * Sends `rate` messages a second for `seconds`, paced on the clock: each tick sends what is
 * due by then, so a late tick (the client's own event loop busy) catches up instead of
 * lowering the offered rate. The rate actually emitted is reported next to the offered one.
 */
export async function sendAtRate(tracker: MessageTracker, rate: number, seconds: number): Promise<SendingRun> {
  const first = tracker.count;
  const total = Math.round(rate * seconds);
  const startedAt = now();
  let sent = 0;
  let lastEmitAt = startedAt;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - startedAt) / 1000) * rate) + 1);
    for (; sent < due; sent++) lastEmitAt = tracker.send().emittedAt;
    await sleep(1);
  }
  return { records: tracker.since(first), startedAt, lastEmitAt };
}

/** Waits until every message is delivered and confirmed (or refused), at most until the loss timeout. */
export async function settle(run: SendingRun): Promise<void> {
  const deadline = run.lastEmitAt + LOSS_TIMEOUT_MS;
  const done = (m: SentMessage): boolean => m.failure !== undefined || (m.deliveredAt !== undefined && m.confirmedAt !== undefined);
  // Messages mostly complete in order, and a completed one stays so: each poll goes on from the first open one.
  let open = 0;
  while (now() < deadline) {
    while (open < run.records.length && done(run.records[open] as SentMessage)) open++;
    if (open === run.records.length) return;
    await sleep(50);
  }
}
