import type { AckResponse, SendMessageAck } from '@chat/contracts';
import type { Route } from './clients';
import type { ClientSocket } from '../testing/chat-system';
import { now, sleep } from './stats';

/** What became of one `send:message`; times in epoch milliseconds (see {@link now}). */
export interface SentMessage {
  readonly seq: number;
  readonly emittedAt: number;
  /** The acknowledgement: the command's CommandAccepted came back to the gateway. */
  ackedAt?: number;
  messageId?: string;
  /** `message:sent` at the sender: the append committed (the gateway sends it just before the acknowledgement). */
  confirmedAt?: number;
  /** `new:message` at each recipient, as they came (one for a direct conversation). */
  readonly deliveries: number[];
  /** `new:message` at the last of its recipients: delivered to every one. */
  deliveredAt?: number;
  /** A refused send (the acknowledgement's message): never expected in a healthy run. */
  failure?: string;
}

/** A message not received within this long after its emit counts as lost. */
export const LOSS_TIMEOUT_MS = 10_000;

/**
 * Sends through the routes and notes when each answer, confirmation and delivery arrives.
 * A message is found again by its text, which carries the run's tag and a sequence number:
 * unique, and readable from every hop (the command on Kafka and the recipient's event).
 */
export class MessageTracker {
  private readonly sent: SentMessage[] = [];
  private readonly byMessageId = new Map<string, SentMessage>();
  /** `message:sent` heard before its acknowledgement (the usual order: the gateway emits it first). */
  private readonly confirmedBeforeAck = new Map<string, number>();
  private readonly textPattern: RegExp;

  constructor(
    private readonly tag: string,
    private readonly routes: readonly Route[],
  ) {
    this.textPattern = new RegExp(`^${tag} #(\\d+)$`);
    // Once per socket: in a group every member is a sender and a recipient of the others.
    for (const socket of new Set(routes.flatMap((route) => route.recipients))) this.listenAsRecipient(socket);
    for (const socket of new Set(routes.map((route) => route.sender))) this.listenAsSender(socket);
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

  /** Emits the next message through the next route in turn, so the load spreads evenly. */
  send(): SentMessage {
    const seq = this.sent.length;
    const route = this.routeOf(seq);
    const record: SentMessage = { seq, emittedAt: now(), deliveries: [] };
    this.sent.push(record);
    route.sender.emit('send:message', { conversationId: route.conversationId, text: `${this.tag} #${seq}`, messageType: 'text' }, (answer) =>
      this.acknowledged(record, answer),
    );
    return record;
  }

  private routeOf(seq: number): Route {
    return this.routes[seq % this.routes.length] as Route;
  }

  private listenAsRecipient(socket: ClientSocket): void {
    socket.on('new:message', ({ message }) => {
      const at = now();
      const seq = this.seqOf(message.text);
      const record = seq === undefined ? undefined : this.sent[seq];
      if (!record) return;
      // The room holds the sender too; and a copy beyond one per recipient is a duplicate.
      const { sender, recipients } = this.routeOf(record.seq);
      if (socket === sender || record.deliveries.length === recipients.length) return;
      record.deliveries.push(at);
      if (record.deliveries.length === recipients.length) record.deliveredAt = at;
    });
  }

  private listenAsSender(socket: ClientSocket): void {
    socket.on('message:sent', ({ messageId }) => {
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
