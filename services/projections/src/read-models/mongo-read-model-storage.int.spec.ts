import { gatewayNotificationSchema } from '@chat/contracts';
import type { RecordedEvent } from '@chat/runtime';
import { generateScenario } from '../domain/testing/chat-scenario';
import { unreadCountId } from '../domain/read-model-documents';
import { BatchApplier } from './batch-applier';
import { activateReadModels, activeReadModels } from './active-read-models';
import { ConcurrentWriterError, MongoReadModelStorage } from './mongo-read-model-storage';
import { readModelCollections } from './read-model-collections';
import { readModelIndexes } from './read-model-indexes';
import type { ReadModelName } from './read-model-storage';
import { InMemoryReadModelStorage } from './testing/in-memory-read-model-storage';
import { dumpReadModels, openTestDatabase, type TestDatabase } from './testing/mongo-test-database';
import { recordEvents } from './testing/recorded-events';

// The batch applier against real FerretDB (MONGODB_URL from the jest global setup): every
// projection, redelivery, overlapping and out-of-order batches, the write guards, indexes.

let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase('proj_test_storage');
});

afterAll(async () => {
  await database?.drop();
});

function batches(events: readonly RecordedEvent[], sizes: readonly number[]): RecordedEvent[][] {
  const result: RecordedEvent[][] = [];
  for (let i = 0, n = 0; i < events.length; n += 1) {
    const size = sizes[n % sizes.length] ?? 1;
    result.push(events.slice(i, i + size));
    i += size;
  }
  return result;
}

function inMemorySnapshot(storage: InMemoryReadModelStorage): Record<ReadModelName, unknown[]> {
  const sorted = (docs: Iterable<{ _id: string }>) => [...docs].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  return {
    users: sorted(storage.collections.users.values()),
    conversations: sorted(storage.collections.conversations.values()),
    messages: sorted(storage.collections.messages.values()),
    unreadCounts: sorted(storage.collections.unreadCounts.values()),
  };
}

// FerretDB v1 on SQLite writes a few thousand documents a second on this machine, and these
// tests project whole scenarios several times over.
jest.setTimeout(240_000);

describe('MongoReadModelStorage with the batch applier (FerretDB)', () => {
  const scenario = generateScenario({ seed: 1234, events: 900, users: 10, groups: 4, directs: 8 });
  const recorded = recordEvents(scenario.events);

  it('projects every event type into the documents the write side implies, as the in-memory reference does', async () => {
    const collections = readModelCollections({ prefix: 'a_' });
    const storage = await MongoReadModelStorage.open(database.db, { collections });
    const applier = new BatchApplier(storage);
    const types = new Set<string>();
    for (const batch of batches(recorded, [1, 7, 50, 3, 120, 13])) {
      const plan = await applier.apply(batch);
      for (const applied of plan.applied) types.add(applied.event.event.type);
      for (const notification of plan.notifications) expect(gatewayNotificationSchema.safeParse(notification).success).toBe(true);
    }
    expect(types.size).toBe(13);

    const expected = scenario.expected();
    const unread = await storage.collection('unreadCounts').find({}).toArray();
    expect(new Map(unread.map((doc) => [doc._id, doc.count]))).toEqual(expected.unread);
    for (const doc of await storage.collection('messages').find({}).toArray()) {
      const model = expected.messages.get(doc._id);
      expect({ status: doc.status, deleted: doc.deleted, readBy: [...doc.readBy].sort() }).toEqual({
        status: model?.status,
        deleted: model?.deleted,
        readBy: [...(model?.readBy ?? [])].sort(),
      });
    }

    const reference = new InMemoryReadModelStorage();
    const referenceApplier = new BatchApplier(reference);
    for (const batch of batches(recorded, [40])) await referenceApplier.apply(batch);
    expect(await dumpReadModels(database.db, collections)).toEqual(inMemorySnapshot(reference));
  });

  it('changes and notifies nothing when the same batches, or overlapping ones, come again', async () => {
    const collections = readModelCollections({ prefix: 'b_' });
    const storage = await MongoReadModelStorage.open(database.db, { collections });
    const applier = new BatchApplier(storage);
    for (const batch of batches(recorded, [100])) await applier.apply(batch);
    const before = await dumpReadModels(database.db, collections);

    for (const batch of [...batches(recorded, [100]), recorded.slice(50, 260), recorded.slice(255, 700)]) {
      const plan = await applier.apply(batch);
      expect(plan.notifications).toEqual([]);
      expect(plan.documentCount).toBe(0);
    }
    expect(await dumpReadModels(database.db, collections)).toEqual(before);
  });

  it('ends identical when events come twice within batches, and when a plan is written twice', async () => {
    const clean = readModelCollections({ prefix: 'c_' });
    const cleanApplier = new BatchApplier(await MongoReadModelStorage.open(database.db, { collections: clean }));
    for (const batch of batches(recorded, [90])) await cleanApplier.apply(batch);

    const stuttering = readModelCollections({ prefix: 'd_' });
    const applier = new BatchApplier(await MongoReadModelStorage.open(database.db, { collections: stuttering }));
    const doubled = recorded.flatMap((event, index) => (index % 4 === 0 ? [event, event] : [event]));
    for (const batch of batches(doubled, [33, 2, 71])) {
      const plan = await applier.plan(batch);
      await plan.write();
      await plan.write();
    }
    expect(await dumpReadModels(database.db, stuttering)).toEqual(await dumpReadModels(database.db, clean));
  });

  it('leaves a document alone when an older event reaches it after a newer one', async () => {
    const collections = readModelCollections({ prefix: 'e_' });
    const storage = await MongoReadModelStorage.open(database.db, { collections });
    const applier = new BatchApplier(storage);
    const sent = recorded.findIndex((e) => e.type === 'MessageSent');
    const read = recorded.findIndex((e, i) => i > sent && e.type === 'MessagesRead');
    await applier.apply(recorded.slice(0, read + 1));
    const before = await dumpReadModels(database.db, collections);
    for (const older of [recorded[sent], recorded[read - 1], recorded[0]]) {
      if (!older) continue;
      const plan = await applier.apply([older]);
      expect(plan.documentCount).toBe(0);
      expect(plan.notifications).toEqual([]);
    }
    expect(await dumpReadModels(database.db, collections)).toEqual(before);
  });

  it('writes a batch that replaces hundreds of documents (FerretDB hangs on 100+ replacements in one command)', async () => {
    const collections = readModelCollections({ prefix: 'j_' });
    const applier = new BatchApplier(await MongoReadModelStorage.open(database.db, { collections }));
    const many = generateScenario({ seed: 77, events: 0, users: 260, groups: 0, directs: 0 });
    const registrations = recordEvents(many.events);
    await applier.apply(registrations);
    const [blocker, ...others] = many.userIds;
    const blocks = recordEvents(
      others.map((blocked, index) => ({
        id: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
        streamName: `user-${blocked}`,
        event: { type: 'UserBlocked' as const, version: 1 as const, data: { conversationId: blocked, userId: blocked, blockedUserId: blocker ?? '' } },
        metadata: { ...registrations[0]!.metadata, userId: blocked },
      })),
      registrations.length + 1,
    );
    const plan = await applier.apply(blocks);
    expect(plan.documentCount).toBe(259);
    const blocked = await database.db.collection(collections.users).countDocuments({ blocks: blocker });
    expect(blocked).toBe(259);
  }, 30_000);

  it('refuses to overwrite a document another writer created in the meantime', async () => {
    const collections = readModelCollections({ prefix: 'f_' });
    const storage = await MongoReadModelStorage.open(database.db, { collections });
    const first = recorded.slice(0, 1);
    const plan = await new BatchApplier(storage).plan(first);
    const [change] = plan.applied;
    const userId = change?.changes.documents.users[0];
    if (!userId) throw new Error('expected a user registration first');
    // A second writer got there first with an older version of the document.
    await storage.collection('users').insertOne({ _id: userId, name: 'x', profileImage: null, registered: true, blocks: [], position: '0' });
    await expect(plan.write()).rejects.toBeInstanceOf(ConcurrentWriterError);
  });

  it('creates the indexes every query needs, on every set', async () => {
    const collections = readModelCollections({ prefix: 'g_', suffix: '_r1' });
    await MongoReadModelStorage.open(database.db, { collections });
    await MongoReadModelStorage.open(database.db, { collections });
    for (const model of Object.keys(readModelIndexes) as ReadModelName[]) {
      const indexes = await database.db.collection(collections[model]).listIndexes().toArray();
      const byName = new Map(indexes.map((index) => [String(index.name), index]));
      expect(byName.has('_id_')).toBe(true);
      for (const wanted of readModelIndexes[model]) {
        expect(byName.get(wanted.name ?? '')).toMatchObject({ key: wanted.key, ...(wanted.unique ? { unique: true } : {}) });
      }
    }
    const history = await database.db.collection(collections.messages).listIndexes().toArray();
    expect(history.map((index) => index.name).sort()).toEqual(['_id_', 'history', 'replies']);
  });

  it('keeps checkpoints per set, never moving them backwards', async () => {
    const storage = await MongoReadModelStorage.open(database.db, { collections: readModelCollections({ prefix: 'h_' }) });
    const other = await MongoReadModelStorage.open(database.db, { collections: readModelCollections({ prefix: 'h_', suffix: '_r2' }) });
    const checkpoint = storage.checkpoints();
    expect(await checkpoint.load()).toBeUndefined();
    await checkpoint.save({ commit: 10n, prepare: 5n });
    await checkpoint.save({ commit: 9n, prepare: 900n });
    expect(await checkpoint.load()).toEqual({ commit: 10n, prepare: 5n });
    await checkpoint.save({ commit: 10n, prepare: 6n });
    expect(await checkpoint.load()).toEqual({ commit: 10n, prepare: 6n });
    expect(await other.checkpoints().load()).toBeUndefined();
    const stored = await database.db.collection('h_checkpoints').findOne({ _id: 'h_read-models' as never }, { useBigInt64: true });
    expect(stored).toMatchObject({ position: '10/6', commit: 10n, prepare: 6n });
  });

  it('switches the active set with one document and tells a writer of the old set', async () => {
    const live = await MongoReadModelStorage.open(database.db, { prefix: 'i_' });
    expect(live.collections.suffix).toBe('');
    expect(await live.isActive()).toBe(true);
    const rebuilt = readModelCollections({ prefix: 'i_', suffix: '_r99' });
    expect((await activateReadModels(database.db, rebuilt)).suffix).toBe('');
    expect((await activeReadModels(database.db, 'i_')).suffix).toBe('_r99');
    expect(await live.isActive()).toBe(false);
    expect((await MongoReadModelStorage.open(database.db, { prefix: 'i_' })).collections.messages).toBe('i_messages_r99');
  });

  it('stores unread counts under <userId>:<conversationId>', async () => {
    const storage = await MongoReadModelStorage.open(database.db, { collections: readModelCollections({ prefix: 'a_' }) });
    const [doc] = await storage.collection('unreadCounts').find({}).limit(1).toArray();
    expect(doc?._id).toBe(unreadCountId(doc?.userId ?? '', doc?.conversationId ?? ''));
  });
});
