import { type ConversationView, type MessagesPageView, type UploadedMedia, type UserView } from '@chat/contracts';
import { endpointsInEnv, type LoggedCommand, parseCommandLog, shapeOf, toEndpoints } from '@chat/runtime';
import { waitFor } from '@chat/runtime/testing';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Document, MongoClient } from 'mongodb';
import { ChatSystem, type ClientSocket, collect, next } from './testing/chat-system';
import { png, upload } from './testing/uploads';

/**
 * The scan check. FerretDB v1, the read store every newcomer, test and benchmark runs on,
 * answers from an index only what it pushes down to SQLite: `_id` equality and (our patch)
 * `_id $in`. Anything else decodes the whole collection, so its cost grows with the store.
 *
 * The whole system runs a scenario that goes through every REST route and every socket
 * event (connects, disconnects and reconnects with deliveries waiting, sends, replies, reads,
 * deletes, group changes, photos, blocks, uploads), with every service logging each command
 * it sends to the read store (MONGO_COMMAND_LOG). Then FerretDB explains each distinct
 * command: every filter must be pushed down, and nothing may sort, except what is listed in
 * `allowed` below, each with the bound that keeps it small.
 */

interface Allowed {
  readonly command: string;
  readonly collection: string;
  readonly shape: string;
  readonly bound: string;
}

const allowed: readonly Allowed[] = [
  {
    command: 'update',
    collection: 'checkpoints',
    shape: '{_id,key:{$lt}}',
    bound: 'the guard that keeps a checkpoint from moving back; the collection holds one document per set of read models (two while a rebuild runs)',
  },
];

/** Commands that read no documents, or only write them. */
const NOT_READS = new Set([
  'insert',
  'getMore',
  'killCursors',
  'endSessions',
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'buildInfo',
  'saslStart',
  'saslContinue',
  'listCollections',
  'listIndexes',
  'create',
  'createIndexes',
  'drop',
  'dropDatabase',
]);

interface Read {
  readonly command: string;
  readonly database: string;
  readonly collection: string;
  readonly filter: Document;
  readonly sort: Document | undefined;
}

/** The document reads a logged command makes (an update or delete reads what its filters match). */
function readsOf(logged: LoggedCommand): Read[] {
  const { command, commandName, database } = logged;
  const collection = String(command[commandName] ?? '');
  const read = (filter: unknown, sort?: unknown): Read => ({
    command: commandName,
    database,
    collection,
    filter: (filter ?? {}) as Document,
    sort: sort === undefined || Object.keys(sort as object).length === 0 ? undefined : (sort as Document),
  });
  switch (commandName) {
    case 'find':
      return [read(command.filter, command.sort)];
    case 'update':
      return ((command.updates as { q: unknown }[] | undefined) ?? []).map((update) => read(update.q));
    case 'delete':
      return ((command.deletes as { q: unknown }[] | undefined) ?? []).map((del) => read(del.q));
    case 'findAndModify':
      return [read(command.query, command.sort)];
    case 'count':
      return [read(command.query)];
    default:
      return [read({ [`<${commandName}>`]: 'not a find' })];
  }
}

/** A collection's name without its prefix-free set suffix (`conversations_v2`, `timeline_r1733…`). */
function baseName(collection: string): string {
  return collection.replace(/_(v\d+|r\d+)$/, '');
}

function shapeKey(read: Read): string {
  return `${shapeOf(read.filter)}${read.sort ? ` sort ${shapeOf(read.sort)}` : ''}`;
}

/** What FerretDB does with a read: serves it from an index, scans for an allowed reason (named), or scans. */
async function verdictOf(mongo: MongoClient, read: Read): Promise<string> {
  // FerretDB explains nothing for a collection that does not exist (this run may never have
  // written one), so each is created, empty, if missing.
  await mongo.db(read.database).createCollection(read.collection).catch(() => undefined);
  const explained = await mongo
    .db(read.database)
    .command({ explain: { find: read.collection, filter: read.filter, ...(read.sort ? { sort: read.sort } : {}) }, verbosity: 'queryPlanner' });
  const filterPushed = Object.keys(read.filter).length > 0 && explained.filterPushdown === true;
  const sortPushed = read.sort === undefined || explained.sortPushdown === true;
  if (filterPushed && sortPushed) return 'index';
  const exception = allowed.find((a) => a.command === read.command && a.collection === baseName(read.collection) && a.shape === shapeKey(read));
  return exception ? `allowed: ${exception.bound}` : 'SCAN';
}

let system: ChatSystem;
let stopped = false;
const logFolder = mkdtempSync(join(tmpdir(), 'chat-command-log-'));

beforeAll(async () => {
  system = await ChatSystem.start({ env: { MONGO_COMMAND_LOG: logFolder } });
}, 180_000);

afterAll(async () => {
  if (!stopped) await system?.stop();
  rmSync(logFolder, { recursive: true, force: true });
});

type Person = { user: UserView; token: string };

function ask(socket: ClientSocket, event: string, payload: unknown): Promise<{ success: boolean; message?: string }> {
  return new Promise((resolve) => (socket as unknown as { emit: (...args: unknown[]) => void }).emit(event, payload, resolve));
}

async function ok<T>(answer: Promise<{ status: number; body: { success: true; data: T } | { success: false; message: string } }>, status = 200): Promise<T> {
  const { status: got, body } = await answer;
  if (!body.success) throw new Error(`expected ${status}, got ${got}: ${body.message}`);
  expect(got).toBe(status);
  return body.data;
}

/** Every route and event, the way an app would use them. */
async function scenario(): Promise<void> {
  const [alice, bob, carol, dave]: Person[] = await Promise.all(['Alice', 'Bob', 'Carol', 'Dave'].map((name) => system.user(name)));
  if (!alice || !bob || !carol || !dave) throw new Error('no users');
  await ok(system.rest<UserView>('GET', '/api/users/me', { token: alice.token }));

  const direct = await ok(system.rest<ConversationView>('POST', '/api/conversations', { token: alice.token, body: { participantIds: [bob.user._id] } }), 201);
  await ok(system.rest<ConversationView>('POST', '/api/conversations', { token: bob.token, body: { participantIds: [alice.user._id] } }), 200);
  const group = await ok(
    system.rest<ConversationView>('POST', '/api/conversations', { token: alice.token, body: { participantIds: [bob.user._id, carol.user._id], name: 'Team' } }),
    201,
  );

  const a = await system.connect(alice.token);
  const b = await system.connect(bob.token);
  const online = next(a, 'user:online', (p) => p.userId === carol.user._id);
  const c = await system.connect(carol.token);
  await online;
  for (const [socket, ids] of [
    [a, [direct._id, group._id]],
    [b, [direct._id, group._id]],
    [c, [group._id]],
  ] as const) {
    for (const conversationId of ids) expect(await ask(socket, 'join:conversation', { conversationId })).toMatchObject({ success: true });
  }

  const typing = next(b, 'typing:start');
  a.emit('typing:start', { conversationId: group._id });
  await typing;
  a.emit('typing:stop', { conversationId: group._id });

  // Enough messages for history to span several timeline pages.
  const arrived = collect(b, 'new:message');
  for (let i = 0; i < 60; i++) a.emit('send:message', { conversationId: direct._id, text: `direct ${i}`, messageType: 'text' });
  await waitFor(() => arrived.filter((m) => m.message.conversationId === direct._id).length === 60, 30_000, () => 'the direct messages at bob');
  const first = arrived[0]?.message._id ?? '';
  const reply = next(a, 'new:message', (p) => p.message.replyTo?._id === first);
  b.emit('send:message', { conversationId: direct._id, text: 'answer', messageType: 'text', replyTo: first });
  await reply;
  const inGroup = next(c, 'new:message');
  b.emit('send:message', { conversationId: group._id, text: 'hello team', messageType: 'text' });
  await inGroup;
  const read = next(a, 'messages:read');
  b.emit('message:read', { conversationId: direct._id, messageIds: arrived.slice(0, 30).map((m) => m.message._id) });
  await read;
  const readAll = next(a, 'messages:read');
  c.emit('message:read', { conversationId: group._id, messageIds: [] });
  await readAll;

  await ok(system.rest<ConversationView[]>('GET', '/api/conversations', { token: alice.token }));
  await ok(system.rest<ConversationView[]>('GET', '/api/conversations', { token: bob.token }));
  await ok(system.rest<ConversationView>('GET', `/api/conversations/${group._id}`, { token: carol.token }));
  const newest = await ok(system.rest<MessagesPageView>('GET', `/api/conversations/${direct._id}/messages?limit=50`, { token: bob.token }));
  expect(newest.messages).toHaveLength(50);
  const older = await ok(
    system.rest<MessagesPageView>('GET', `/api/conversations/${direct._id}/messages?limit=20&before=${newest.messages[0]?._id ?? ''}`, { token: bob.token }),
  );
  expect(older.messages).toHaveLength(11);
  expect((await system.rest('GET', `/api/conversations/${direct._id}`, { token: carol.token })).status).toBe(403);

  // Group changes, photo, deletion, blocks, an upload.
  await ok(system.rest('POST', `/api/conversations/${group._id}/participants`, { token: alice.token, body: { userIds: [dave.user._id] } }));
  await ok(system.rest('DELETE', `/api/conversations/${group._id}/participants/${carol.user._id}`, { token: alice.token }));
  await ok(system.rest('DELETE', `/api/conversations/${group._id}/participants/${dave.user._id}`, { token: dave.token }));
  const photo = await upload(`${system.url}/api/conversations/${group._id}/photo`, { bytes: png(), name: 'team.png', type: 'image/png' }, alice.token, 'PUT');
  expect(photo.status).toBe(200);
  await ok(system.rest('DELETE', `/api/conversations/${group._id}/photo`, { token: bob.token }));
  const deleted = next(b, 'message:deleted');
  await ok(system.rest('DELETE', `/api/messages/${first}`, { token: alice.token }));
  await deleted;
  await ok(system.rest('POST', `/api/users/${dave.user._id}/block`, { token: bob.token }));
  await ok(system.rest('DELETE', `/api/users/${dave.user._id}/block`, { token: bob.token }));
  const uploaded = await upload(`${system.url}/api/media/upload`, { bytes: png(), name: 'cat.png', type: 'image/png' }, alice.token);
  expect(uploaded.status).toBe(201);
  const media = uploaded.body.data as UploadedMedia;
  const withImage = next(b, 'new:message', (p) => p.message.messageType === 'image');
  a.emit('send:message', {
    conversationId: direct._id,
    text: null,
    media: [{ url: media.url, type: media.type, filename: media.filename, size: media.fileSize }],
    messageType: 'image',
  });
  await withImage;

  // Bob goes away; what Alice sends meanwhile waits, and is delivered when he is back.
  const offline = next(a, 'user:offline', (p) => p.userId === bob.user._id);
  b.disconnect();
  await offline;
  const sentIds: string[] = [];
  const sentWhileAway = collect(a, 'message:sent');
  for (let i = 0; i < 5; i++) a.emit('send:message', { conversationId: direct._id, text: `while away ${i}`, messageType: 'text' });
  await waitFor(() => sentWhileAway.length === 5, 15_000, () => 'message:sent for what alice sent meanwhile');
  sentIds.push(...sentWhileAway.map((s) => s.messageId));
  const delivered = collect(a, 'message:delivered');
  await system.connect(bob.token);
  await waitFor(() => sentIds.every((id) => delivered.some((d) => d.messageId === id)), 20_000, () => 'message:delivered for each waiting message');

  expect((await fetch(`${system.url}/health`)).status).toBe(200);
  c.disconnect();
}

describe('the read store is never scanned (FerretDB explains every command the services send)', () => {
  it('pushes every filter down to an index, but for the few allowed exceptions', async () => {
    await scenario();
    // Stopped first, so the log holds everything the services sent, the last batches included.
    await system.stop();
    stopped = true;

    const logged = readdirSync(logFolder).flatMap((file) => parseCommandLog(readFileSync(join(logFolder, file), 'utf8')));
    const services = new Set(logged.map((entry) => entry.service));
    expect([...services].sort()).toEqual(['gateway', 'presence', 'projections']);

    // One explain per distinct command, collection and shape, with the values first seen.
    const distinct = new Map<string, Read>();
    for (const entry of logged) {
      if (NOT_READS.has(entry.commandName)) continue;
      for (const read of readsOf(entry)) {
        const key = `${read.command} ${baseName(read.collection)} ${shapeKey(read)}`;
        if (!distinct.has(key)) distinct.set(key, read);
      }
    }
    expect(distinct.size).toBeGreaterThan(5);

    const mongo = new MongoClient(toEndpoints(endpointsInEnv()).mongoUrl, { retryWrites: false });
    await mongo.connect();
    const rows: string[] = [];
    const scans: string[] = [];
    try {
      for (const [key, read] of distinct) {
        const verdict = await verdictOf(mongo, read);
        rows.push(`${verdict === 'index' ? 'index  ' : verdict === 'SCAN' ? 'SCAN   ' : 'allowed'} ${key}`);
        if (verdict === 'SCAN') scans.push(key);
      }
      // The check sees a scan when there is one: the query an index on conversationId would serve elsewhere.
      const [timeline] = [...distinct.values()].filter((read) => baseName(read.collection) === 'timeline');
      if (!timeline) throw new Error('the scenario read no timeline page');
      expect(await verdictOf(mongo, { ...timeline, filter: { conversationId: 'x' } })).toBe('SCAN');
      expect(await verdictOf(mongo, { ...timeline, filter: { _id: 'x' }, sort: { page: -1 } })).toBe('SCAN');
    } finally {
      await mongo.close();
    }
    console.log(`[scan check] ${distinct.size} distinct read-store commands:\n${rows.sort().join('\n')}`);
    expect(scans).toEqual([]);
  }, 240_000);
});
