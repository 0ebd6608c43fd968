import { conversationStream, directConversationId, type DomainEvent, type EventMetadata, userStream } from '@chat/contracts';
import type { EventStore } from '@chat/runtime';
import { randomUUID } from 'node:crypto';

/**
 * The world the reads benchmark measures in: users, their conversations and a history of
 * messages with deliveries, reads, replies and deletions, written straight into the event store
 * (the write side's events, as it would have appended them), then projected by the replay.
 *
 *   - 1,000 "storm" users, offline at the start, each with a direct conversation with one of
 *     20 "observers" (who stay online) holding messages from the observer that reached no one
 *     yet, and a few more conversations among the rest;
 *   - a user with 200 conversations (the conversation list measured) and one with 500, the
 *     first with a long direct conversation (the history measured);
 *   - 400 more users with 1 to 20 conversations each, direct and groups of 3 to 50.
 *
 * Messages are added in steps (`grow`), so one world is measured at 1,000, then 100,000, then
 * 1,000,000 messages; everything is seeded from one number, so a run can be repeated.
 */

const OBSERVERS = 20;
const STORM_USERS = 1_000;
const OTHERS = 400;

export interface WorldPeople {
  readonly observers: readonly string[];
  readonly storm: readonly string[];
  /** The user with 200 conversations, whose list, details and history are measured. */
  readonly heavy200: string;
  readonly heavy500: string;
  readonly others: readonly string[];
}

export interface WorldConversation {
  readonly id: string;
  readonly members: readonly string[];
  /** Messages so far (the last seq). */
  count: number;
  /** Recent messages (id, sender), for replies, reads and deletions. */
  readonly recent: { id: string; sender: string; seq: number; deleted: boolean }[];
  /** Per member, the last seq they read. */
  readonly readUpTo: Map<string, number>;
  /** The last seq delivered. */
  deliveredUpTo: number;
  /** Holds only messages that must stay undelivered (an observer's to a storm user). */
  readonly undeliverable: boolean;
}

export interface GrowthFigures {
  readonly messages: number;
  readonly events: number;
}

/** mulberry32: small, fast, good enough for test data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class ReadsWorld {
  readonly people: WorldPeople;
  /** The long direct conversation of heavy200, whose history pages are measured. */
  readonly history: WorldConversation;
  /** heavy200's conversations. */
  readonly ofHeavy200: readonly string[];
  /** The storm users' pending messages, by the observer who sent them. */
  readonly pendingByObserver = new Map<string, string[]>();
  private readonly conversations: WorldConversation[] = [];
  private readonly rand: () => number;
  private ids = 0;
  private clock = Date.parse('2025-01-01T00:00:00.000Z');
  private messageIds = new Map<number, string>();
  private eventCount = 0;
  private messageCount = 0;
  /** Events of users and conversations not appended yet. */
  private pending: { streamName: string; event: DomainEvent; actor: string }[] = [];

  constructor(seed = 7) {
    this.rand = random(seed);
    const person = (): string => this.nextId('aa');
    this.people = {
      observers: Array.from({ length: OBSERVERS }, person),
      storm: Array.from({ length: STORM_USERS }, person),
      heavy200: person(),
      heavy500: person(),
      others: Array.from({ length: OTHERS }, person),
    };
    const { observers, storm, heavy200, heavy500, others } = this.people;
    for (const userId of [...observers, ...storm, heavy200, heavy500, ...others]) {
      this.emit(userStream(userId), userId, { type: 'UserRegistered', version: 1, data: { userId, name: `User ${userId.slice(-5)}`, profileImage: null } });
    }
    const pick = <T>(items: readonly T[]): T => items[Math.floor(this.rand() * items.length)] as T;
    const direct = (a: string, b: string, undeliverable = false): WorldConversation | undefined => {
      const id = directConversationId(a, b);
      if (this.conversations.some((c) => c.id === id)) return undefined;
      return this.open(id, [a, b], 'direct', undeliverable);
    };
    const group = (members: string[]): WorldConversation => this.open(this.nextId('cc'), [...new Set(members)], 'group', false);
    const someOthers = (n: number): string[] => Array.from({ length: n }, () => pick(others));

    storm.forEach((userId, index) => direct(observers[index % OBSERVERS] as string, userId, true));
    for (const userId of storm) {
      for (let i = 0, n = Math.floor(this.rand() * 4); i < n; i++) direct(userId, pick(others));
    }
    this.history = direct(heavy200, pick(others)) as WorldConversation;
    while (this.conversationsOf(heavy200).length < 150) direct(heavy200, pick([...others, ...storm]));
    while (this.conversationsOf(heavy200).length < 200) group([heavy200, ...someOthers(3 + Math.floor(this.rand() * 47))]);
    while (this.conversationsOf(heavy500).length < 400) direct(heavy500, pick([...others, ...storm]));
    while (this.conversationsOf(heavy500).length < 500) group([heavy500, ...someOthers(3 + Math.floor(this.rand() * 47))]);
    for (const userId of others) {
      const wanted = 1 + Math.floor(this.rand() * 20);
      while (this.conversationsOf(userId).length < wanted) {
        if (this.rand() < 0.7) direct(userId, pick(others));
        else group([userId, ...someOthers(2 + Math.floor(this.rand() * 48))]);
      }
    }
    this.ofHeavy200 = this.conversationsOf(heavy200).map((c) => c.id);
  }

  get messages(): number {
    return this.messageCount;
  }

  get conversationCount(): number {
    return this.conversations.length;
  }

  /** The id of message `seq` of the history conversation (1, 2, 3…). */
  historyMessage(seq: number): string | undefined {
    return this.messageIds.get(seq);
  }

  /**
   * Adds messages until the world holds `total`: the history conversation a tenth of them
   * (at least 300, at most 50,000), each storm user one or two new ones from their observer
   * that reach no one (half of them only, below 10,000), and the rest spread over every other
   * conversation, the busy ones far busier than the quiet ones. Appends everything to `store`.
   */
  async grow(store: EventStore, total: number): Promise<GrowthFigures> {
    const before = { messages: this.messageCount, events: this.eventCount };
    const historyTarget = Math.min(50_000, Math.max(300, Math.floor(total / 10)));
    while (this.history.count < historyTarget && this.messageCount < total) this.chat(this.history);
    // Half the storm waits for a message in a small store, everyone for one or two in larger ones.
    const stormDirects = this.conversations.filter((c) => c.undeliverable);
    const waiting = total < 10_000 ? stormDirects.slice(0, stormDirects.length / 2) : stormDirects;
    const perStormUser = total >= 100_000 ? 2 : 1;
    for (const conversation of waiting) {
      while (conversation.count - conversation.deliveredUpTo < perStormUser && this.messageCount < total) this.send(conversation, conversation.members[0] as string);
    }
    const busy = this.conversations.filter((c) => !c.undeliverable && c !== this.history);
    // Zipf-like: the i-th conversation is chosen with weight 1/(i+1).
    const weights = busy.map((_, i) => 1 / (i + 1));
    const sum = weights.reduce((a, b) => a + b, 0);
    const cumulative: number[] = [];
    weights.reduce((acc, w) => (cumulative.push((acc + w) / sum), acc + w), 0);
    while (this.messageCount < total) {
      // Appended as it goes: a million messages' events at once would fill the heap.
      if (this.pending.length >= 200_000) await this.flush(store);
      const roll = this.rand();
      let low = 0;
      let high = cumulative.length - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if ((cumulative[middle] as number) < roll) low = middle + 1;
        else high = middle;
      }
      this.chat(busy[low] as WorldConversation);
    }
    for (const conversation of this.conversations) this.settle(conversation);
    await this.flush(store);
    return { messages: this.messageCount - before.messages, events: this.eventCount - before.events };
  }

  /** The storm delivered what waited for its users: the next growth's waiting messages are new ones. */
  stormDelivered(): void {
    for (const conversation of this.conversations) if (conversation.undeliverable) conversation.deliveredUpTo = conversation.count;
    this.pendingByObserver.clear();
  }

  private conversationsOf(userId: string): WorldConversation[] {
    return this.conversations.filter((c) => c.members.includes(userId));
  }

  private open(id: string, members: string[], type: 'direct' | 'group', undeliverable: boolean): WorldConversation {
    const conversation: WorldConversation = { id, members, count: 0, recent: [], readUpTo: new Map(), deliveredUpTo: 0, undeliverable };
    this.conversations.push(conversation);
    const createdBy = members[0] as string;
    const createdAt = this.tick();
    this.emit(
      conversationStream(id),
      createdBy,
      type === 'direct'
        ? { type: 'DirectConversationCreated', version: 1, data: { conversationId: id, participantIds: [createdBy, members[1] as string], createdBy, createdAt } }
        : { type: 'GroupConversationCreated', version: 1, data: { conversationId: id, name: `Group ${id.slice(-4)}`, participantIds: members, adminIds: [createdBy], createdBy, createdAt } },
    );
    return conversation;
  }

  /** One message of ordinary traffic: sent, now and then a reply or a deletion, delivered and read in runs. */
  private chat(conversation: WorldConversation): void {
    const sender = conversation.members[Math.floor(this.rand() * conversation.members.length)] as string;
    this.send(conversation, sender);
    if (this.rand() < 0.02) {
      const own = conversation.recent.filter((m) => m.sender === sender && !m.deleted);
      const target = own[Math.floor(this.rand() * own.length)];
      if (target) {
        target.deleted = true;
        this.emit(conversationStream(conversation.id), sender, { type: 'MessageDeleted', version: 1, data: { conversationId: conversation.id, messageId: target.id, deletedBy: sender } });
      }
    }
    if (conversation.count % 8 === 0) this.settle(conversation);
  }

  private send(conversation: WorldConversation, sender: string): void {
    const messageId = this.nextId('ee');
    conversation.count += 1;
    this.messageCount += 1;
    if (conversation === this.history) this.messageIds.set(conversation.count, messageId);
    const quoted = !conversation.undeliverable && conversation.recent.length > 0 && this.rand() < 0.1 ? conversation.recent[Math.floor(this.rand() * conversation.recent.length)] : undefined;
    const media = this.rand() < 0.03;
    this.emit(conversationStream(conversation.id), sender, {
      type: 'MessageSent',
      version: 1,
      data: {
        conversationId: conversation.id,
        messageId,
        senderId: sender,
        text: media ? null : `message ${conversation.count} in ${conversation.id.slice(-4)}: some words of an ordinary chat line`,
        media: media ? [{ url: `https://cdn.example.com/m/${messageId}.jpg`, type: 'image', filename: 'photo.jpg', size: 120_000 }] : [],
        messageType: media ? 'image' : 'text',
        replyTo: quoted?.id ?? null,
        clientMessageId: null,
        sentAt: this.tick(),
      },
    });
    conversation.recent.push({ id: messageId, sender, seq: conversation.count, deleted: false });
    if (conversation.recent.length > 64) conversation.recent.shift();
  }

  /** Delivers (unless it must stay undelivered) and has members read what is new since they last did. */
  private settle(conversation: WorldConversation): void {
    if (conversation.undeliverable) {
      const observer = conversation.members[0] as string;
      const list = this.pendingByObserver.get(observer) ?? [];
      for (const m of conversation.recent) if (m.seq > conversation.deliveredUpTo && !list.includes(m.id)) list.push(m.id);
      this.pendingByObserver.set(observer, list);
      return;
    }
    const stream = conversationStream(conversation.id);
    const fresh = conversation.recent.filter((m) => m.seq > conversation.deliveredUpTo && !m.deleted);
    for (const sender of new Set(fresh.map((m) => m.sender))) {
      const recipient = conversation.members.find((member) => member !== sender);
      const ids = fresh.filter((m) => m.sender === sender).map((m) => m.id);
      if (recipient && ids.length > 0) {
        this.emit(stream, recipient, { type: 'MessageDelivered', version: 1, data: { conversationId: conversation.id, messageIds: ids, recipientId: recipient } });
      }
    }
    conversation.deliveredUpTo = conversation.count;
    const readers = conversation.members.length <= 2 ? conversation.members : conversation.members.filter(() => this.rand() < 0.15);
    for (const reader of readers) {
      const from = conversation.readUpTo.get(reader) ?? 0;
      const ids = conversation.recent.filter((m) => m.seq > from && m.sender !== reader && !m.deleted).map((m) => m.id);
      conversation.readUpTo.set(reader, conversation.count);
      if (ids.length > 0) this.emit(stream, reader, { type: 'MessagesRead', version: 1, data: { conversationId: conversation.id, readerId: reader, messageIds: ids } });
    }
  }

  private emit(streamName: string, actor: string, event: DomainEvent): void {
    this.pending.push({ streamName, event, actor });
    this.eventCount += 1;
  }

  /** Appends what was emitted, each stream's events in order, many per append. */
  private async flush(store: EventStore): Promise<void> {
    const byStream = new Map<string, { event: DomainEvent; actor: string }[]>();
    for (const { streamName, event, actor } of this.pending) {
      const list = byStream.get(streamName) ?? [];
      list.push({ event, actor });
      byStream.set(streamName, list);
    }
    this.pending = [];
    // Users first: every sender is registered before the projections meet their messages.
    const streams = [...byStream.keys()].sort((a, b) => Number(b.startsWith('user-')) - Number(a.startsWith('user-')));
    const users = streams.filter((s) => s.startsWith('user-'));
    const rest = streams.filter((s) => !s.startsWith('user-'));
    for (const part of [users, rest]) {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < part.length) {
          const streamName = part[next++] as string;
          const events = byStream.get(streamName) ?? [];
          for (let i = 0; i < events.length; i += 1_000) {
            await store.appendToStream(
              streamName,
              events.slice(i, i + 1_000).map(({ event, actor }) => ({ id: randomUUID(), type: event.type, data: event.data, metadata: this.metadata(actor) })),
              { expectedRevision: 'any' },
            );
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    }
  }

  private metadata(userId: string): EventMetadata {
    const commandId = randomUUID();
    return { commandId, correlationId: commandId, causationId: commandId, userId, schemaVersion: 1, occurredAt: this.tick() };
  }

  private tick(): string {
    this.clock += 1 + Math.floor(this.rand() * 2_000);
    return new Date(this.clock).toISOString();
  }

  private nextId(kind: string): string {
    return `5f${kind}${(this.ids++).toString(16).padStart(20, '0')}`;
  }
}
