/**
 * The messages of one conversation, as much of them as deciding needs: ids, senders,
 * deleted/delivered flags, client message ids and every member's read state. Never text or
 * media: no rule looks at an earlier message's content.
 *
 * A conversation may hold 100,000 messages, so everything here is O(1) per message touched:
 * appending, deleting and delivering update arrays and maps in place, and a member's read
 * state is a watermark plus a small set, so "read everything" starts where that member's
 * unread messages start instead of at the first message.
 *
 * Functions that mutate are for `evolve` only; `decide` uses the read-only queries.
 */

const DELETED = 1;
const DELIVERED = 2;

export interface ReadCursor {
  /**
   * Every message below this index is settled for the reader (read, their own, or deleted),
   * and the message at it, if any, is not: it is the reader's first unread message.
   */
  upTo: number;
  /** Messages above `upTo` the reader read one by one; absorbed as `upTo` passes them. */
  readonly above: Set<number>;
}

export interface MessageLog {
  /** Everyone who sends or reads here, so that per-message senders are small integers. */
  readonly people: string[];
  readonly personIndex: Map<string, number>;
  /** Message ids in conversation order: a message's index is its position here. */
  readonly ids: string[];
  readonly indexById: Map<string, number>;
  /** Per message: the index of its sender in `people`. */
  readonly senders: number[];
  /** Per message: DELETED and DELIVERED bits. */
  readonly flags: number[];
  /** Per sender: clientMessageId → index of the first message sent with it. */
  readonly clientMessageIds: Map<number, Map<string, number>>;
  /** Per person: their read state. Created when they join, kept when they leave. */
  readonly cursors: Map<number, ReadCursor>;
  /**
   * People grouped by their cursor's `upTo`, so that deleting a message moves exactly the
   * cursors stopped at it, without visiting every member. A caught-up reader waits at
   * `ids.length`, which becomes the index of the next message.
   */
  readonly waitingAt: Map<number, Set<number>>;
}

export function createMessageLog(): MessageLog {
  return {
    people: [],
    personIndex: new Map(),
    ids: [],
    indexById: new Map(),
    senders: [],
    flags: [],
    clientMessageIds: new Map(),
    cursors: new Map(),
    waitingAt: new Map(),
  };
}

// ---------------------------------------------------------------- queries (for decide)

export function messageCount(log: MessageLog): number {
  return log.ids.length;
}

export function messageIndex(log: MessageLog, messageId: string): number | undefined {
  return log.indexById.get(messageId);
}

export function messageIdAt(log: MessageLog, index: number): string {
  const id = log.ids[index];
  if (id === undefined) throw new RangeError(`no message at index ${index}`);
  return id;
}

export function senderAt(log: MessageLog, index: number): string | undefined {
  const person = log.senders[index];
  return person === undefined ? undefined : log.people[person];
}

export function isDeleted(log: MessageLog, index: number): boolean {
  return ((log.flags[index] ?? 0) & DELETED) !== 0;
}

export function isDelivered(log: MessageLog, index: number): boolean {
  return ((log.flags[index] ?? 0) & DELIVERED) !== 0;
}

/** The index of the first message `senderId` sent with `clientMessageId`, if any. */
export function firstWithClientMessageId(log: MessageLog, senderId: string, clientMessageId: string): number | undefined {
  const person = log.personIndex.get(senderId);
  return person === undefined ? undefined : log.clientMessageIds.get(person)?.get(clientMessageId);
}

const NO_CURSOR: ReadCursor = { upTo: 0, above: new Set() };

function cursorOf(log: MessageLog, person: number | undefined): ReadCursor {
  return (person === undefined ? undefined : log.cursors.get(person)) ?? NO_CURSOR;
}

function isSettled(log: MessageLog, person: number | undefined, cursor: ReadCursor, index: number): boolean {
  return cursor.above.has(index) || log.senders[index] === person || isDeleted(log, index);
}

/** Whether `readerId` could still read the message: from someone else, not deleted, not read yet. */
export function isUnreadBy(log: MessageLog, readerId: string, index: number): boolean {
  const person = log.personIndex.get(readerId);
  const cursor = cursorOf(log, person);
  return index >= cursor.upTo && index < log.ids.length && !isSettled(log, person, cursor, index);
}

/**
 * Every message `readerId` could still read, in conversation order. Starts at the reader's
 * first unread message, so the cost is what lies after it, and the MessagesRead this leads
 * to moves the watermark past all of it: each message is scanned about once per reader over
 * the conversation's life, however many messages came before.
 */
export function unreadBy(log: MessageLog, readerId: string): number[] {
  const person = log.personIndex.get(readerId);
  const cursor = cursorOf(log, person);
  const unread: number[] = [];
  for (let index = cursor.upTo; index < log.ids.length; index += 1) {
    if (!isSettled(log, person, cursor, index)) unread.push(index);
  }
  return unread;
}

// ---------------------------------------------------------------- updates (for evolve)

function personOf(log: MessageLog, userId: string): number {
  let person = log.personIndex.get(userId);
  if (person === undefined) {
    person = log.people.length;
    log.people.push(userId);
    log.personIndex.set(userId, person);
  }
  return person;
}

function wait(log: MessageLog, person: number, at: number): void {
  let waiting = log.waitingAt.get(at);
  if (!waiting) {
    waiting = new Set();
    log.waitingAt.set(at, waiting);
  }
  waiting.add(person);
}

function stopWaiting(log: MessageLog, person: number, at: number): void {
  const waiting = log.waitingAt.get(at);
  if (!waiting) return;
  waiting.delete(person);
  if (waiting.size === 0) log.waitingAt.delete(at);
}

/** Moves the cursor past every settled message, so it stops at the first unread one again. */
function settle(log: MessageLog, person: number, cursor: ReadCursor): void {
  const from = cursor.upTo;
  let upTo = from;
  while (upTo < log.ids.length && isSettled(log, person, cursor, upTo)) {
    cursor.above.delete(upTo);
    upTo += 1;
  }
  if (upTo === from) return;
  cursor.upTo = upTo;
  stopWaiting(log, person, from);
  wait(log, person, upTo);
}

function ensureCursor(log: MessageLog, person: number): ReadCursor {
  let cursor = log.cursors.get(person);
  if (!cursor) {
    cursor = { upTo: 0, above: new Set() };
    log.cursors.set(person, cursor);
    wait(log, person, 0);
    settle(log, person, cursor);
  }
  return cursor;
}

/**
 * Gives a member a read state. A newcomer starts at the first message: history counts as
 * unread for them like any message from others (the API's unreadCount has no notion of
 * join time), and projections must count it the same way.
 */
export function addReader(log: MessageLog, userId: string): void {
  ensureCursor(log, personOf(log, userId));
}

export function appendMessage(log: MessageLog, messageId: string, senderId: string, clientMessageId: string | null): void {
  const person = personOf(log, senderId);
  const cursor = ensureCursor(log, person);
  const index = log.ids.length;
  log.ids.push(messageId);
  log.indexById.set(messageId, index);
  log.senders.push(person);
  log.flags.push(0);
  if (clientMessageId !== null) {
    let mine = log.clientMessageIds.get(person);
    if (!mine) {
      mine = new Map();
      log.clientMessageIds.set(person, mine);
    }
    if (!mine.has(clientMessageId)) mine.set(clientMessageId, index);
  }
  // A sender with nothing unread stays caught up; otherwise their own message waits above
  // the watermark until they read what is below it.
  if (cursor.upTo === index) settle(log, person, cursor);
}

export function markDeleted(log: MessageLog, index: number): void {
  if (index >= log.flags.length) return;
  log.flags[index] = (log.flags[index] ?? 0) | DELETED;
  const waiting = log.waitingAt.get(index);
  if (!waiting) return;
  for (const person of [...waiting]) {
    const cursor = log.cursors.get(person);
    if (cursor) settle(log, person, cursor);
  }
}

export function markDelivered(log: MessageLog, index: number): void {
  if (index >= log.flags.length) return;
  log.flags[index] = (log.flags[index] ?? 0) | DELIVERED;
}

export function markRead(log: MessageLog, readerId: string, indexes: Iterable<number>): void {
  const person = personOf(log, readerId);
  const cursor = ensureCursor(log, person);
  for (const index of indexes) {
    if (index >= cursor.upTo && index < log.ids.length) cursor.above.add(index);
  }
  settle(log, person, cursor);
}

// ---------------------------------------------------------------- snapshots

/** Plain, JSON-safe: the maps that index the arrays are rebuilt on restore. */
export interface MessageLogSnapshot {
  readonly people: string[];
  readonly ids: string[];
  readonly senders: number[];
  readonly flags: number[];
  /** [message index, clientMessageId]; the sender is the message's. */
  readonly clientMessageIds: [number, string][];
  /** [person, upTo, indexes read above upTo]. */
  readonly cursors: [number, number, number[]][];
}

export function snapshotMessageLog(log: MessageLog): MessageLogSnapshot {
  const clientMessageIds: [number, string][] = [];
  for (const mine of log.clientMessageIds.values()) {
    for (const [clientMessageId, index] of mine) clientMessageIds.push([index, clientMessageId]);
  }
  clientMessageIds.sort((a, b) => a[0] - b[0]);
  return {
    people: [...log.people],
    ids: [...log.ids],
    senders: [...log.senders],
    flags: [...log.flags],
    clientMessageIds,
    cursors: [...log.cursors].map(([person, cursor]) => [person, cursor.upTo, [...cursor.above].sort((a, b) => a - b)]),
  };
}

/** Rebuilds a log from a snapshot; throws if the snapshot contradicts itself. */
export function restoreMessageLog(snapshot: MessageLogSnapshot): MessageLog {
  const { people, ids, senders, flags } = snapshot;
  if (senders.length !== ids.length || flags.length !== ids.length) {
    throw new Error('message log snapshot: ids, senders and flags differ in length');
  }
  const log = createMessageLog();
  for (const [person, userId] of people.entries()) {
    if (log.personIndex.has(userId)) throw new Error(`message log snapshot: ${userId} listed twice`);
    log.people.push(userId);
    log.personIndex.set(userId, person);
  }
  const isPerson = (person: number) => Number.isInteger(person) && person >= 0 && person < people.length;
  const isMessage = (index: number) => Number.isInteger(index) && index >= 0 && index < ids.length;
  for (const [index, messageId] of ids.entries()) {
    const sender = senders[index] ?? -1;
    if (!isPerson(sender)) throw new Error(`message log snapshot: bad sender of message ${index}`);
    if (log.indexById.has(messageId)) throw new Error(`message log snapshot: ${messageId} listed twice`);
    log.ids.push(messageId);
    log.indexById.set(messageId, index);
    log.senders.push(sender);
    log.flags.push((flags[index] ?? 0) & (DELETED | DELIVERED));
  }
  for (const [index, clientMessageId] of snapshot.clientMessageIds) {
    if (!isMessage(index)) throw new Error('message log snapshot: client message id of an unknown message');
    const sender = log.senders[index] ?? -1;
    let mine = log.clientMessageIds.get(sender);
    if (!mine) {
      mine = new Map();
      log.clientMessageIds.set(sender, mine);
    }
    mine.set(clientMessageId, index);
  }
  for (const [person, upTo, above] of snapshot.cursors) {
    if (!isPerson(person) || log.cursors.has(person)) throw new Error('message log snapshot: bad read cursor');
    if (!Number.isInteger(upTo) || upTo < 0 || upTo > ids.length || !above.every((index) => isMessage(index) && index > upTo)) {
      throw new Error('message log snapshot: read cursor out of range');
    }
    log.cursors.set(person, { upTo, above: new Set(above) });
    wait(log, person, upTo);
  }
  return log;
}
