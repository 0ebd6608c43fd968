import { gatewayNotificationSchema } from '@chat/contracts';
import type { RecordedEvent } from '@chat/runtime';
import { readModelKeys } from '../domain/document-set';
import { generateScenario } from '../domain/testing/chat-scenario';
import { type AllDocuments, readModelFacts, sortedReaders } from '../domain/testing/read-model-facts';
import { BatchApplier } from './batch-applier';
import { activateReadModels, activeReadModels } from './active-read-models';
import { ConcurrentWriterError, MongoReadModelStorage } from './mongo-read-model-storage';
import { encodeDocument } from './read-model-codec';
import { FIRST_SET_SUFFIX, readModelCollections } from './read-model-collections';
import type { ReadModelName } from './read-model-storage';
import { InMemoryReadModelStorage } from './testing/in-memory-read-model-storage';
import { dumpReadModels, openTestDatabase, type TestDatabase } from './testing/mongo-test-database';
import { recordEvents } from './testing/recorded-events';

// The batch applier against real FerretDB (MONGODB_URL from the jest global setup): every
// projection, redelivery, overlapping and out-of-order batches, the write guards, the stored shape.

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
  return Object.fromEntries(readModelKeys.map((model) => [model, sorted(storage.collections[model].values() as Iterable<{ _id: string }>)])) as Record<
    ReadModelName,
    unknown[]
  >;
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
    const stored = (await dumpReadModels(database.db, collections)) as unknown as AllDocuments;
    expect(sortedReaders(readModelFacts(stored, expected))).toEqual(sortedReaders(expected));

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
    const users = (await dumpReadModels(database.db, collections)).users as { blocks: string[] }[];
    expect(users.filter((user) => user.blocks.includes(blocker ?? '')).length).toBe(259);
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
    await storage.records('users').insertOne(encodeDocument({ _id: userId, name: 'x', profileImage: null, registered: true, blocks: [], position: '0' } as never));
    await expect(plan.write()).rejects.toBeInstanceOf(ConcurrentWriterError);
  });

  it('stores each document as its id, its guard position and its body as one JSON string, and needs no index but _id', async () => {
    const collections = readModelCollections({ prefix: 'a_' });
    for (const model of readModelKeys) {
      const [record] = await database.db.collection(collections[model]).find({}).limit(1).toArray();
      expect(Object.keys(record ?? {}).sort()).toEqual(['_id', 'position', 'v']);
      expect(typeof JSON.parse(String(record?.v))).toBe('object');
      const indexes = await database.db.collection(collections[model]).listIndexes().toArray();
      expect(indexes.map((index) => index.name)).toEqual(['_id_']);
    }
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
    const stored = await database.db.collection('h_checkpoints').findOne({ _id: `h_read-models${FIRST_SET_SUFFIX}` as never }, { useBigInt64: true });
    expect(stored).toMatchObject({ position: '10/6', commit: 10n, prepare: 6n });
  });

  it('switches the active set with one document and tells a writer of the old set', async () => {
    const live = await MongoReadModelStorage.open(database.db, { prefix: 'i_' });
    expect(live.collections.suffix).toBe(FIRST_SET_SUFFIX);
    expect(await live.isActive()).toBe(true);
    const rebuilt = readModelCollections({ prefix: 'i_', suffix: '_r99' });
    expect((await activateReadModels(database.db, rebuilt)).suffix).toBe(FIRST_SET_SUFFIX);
    expect((await activeReadModels(database.db, 'i_')).suffix).toBe('_r99');
    expect(await live.isActive()).toBe(false);
    expect((await MongoReadModelStorage.open(database.db, { prefix: 'i_' })).collections.messages).toBe('i_messages_r99');
  });

  it('ignores a set of an older layout: this layout starts a set of its own, from the first event', async () => {
    // What an older version of this service left: a pointer without a layout, at collections of another shape.
    await database.db.collection('k_active_read_models').insertOne({ _id: 'read-models' as never, suffix: '', activatedAt: new Date(), previousSuffix: null });
    await database.db.collection('k_messages').insertOne({ _id: 'old' as never, conversationId: 'x', seq: 1, text: 'old shape' });
    const storage = await MongoReadModelStorage.open(database.db, { prefix: 'k_' });
    expect(storage.collections.suffix).toBe(FIRST_SET_SUFFIX);
    expect(await storage.checkpoints().load()).toBeUndefined();
    expect(await storage.load('messages', ['old'])).toEqual([]);
  });
});
