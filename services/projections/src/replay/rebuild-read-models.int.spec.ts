import { type EventStore, type ReadAllOptions, type RecordedEvent, startOfAll } from '@chat/runtime';
import { generateScenario } from '../domain/testing/chat-scenario';
import { type AllDocuments, readModelFacts, sortedReaders } from '../domain/testing/read-model-facts';
import { activeReadModels } from '../read-models/active-read-models';
import { BatchApplier } from '../read-models/batch-applier';
import { CheckpointStore } from '../read-models/checkpoint-store';
import { MongoReadModelStorage } from '../read-models/mongo-read-model-storage';
import { projectedStreamPrefixes } from '../read-models/projected-events';
import { checkpointNameOf, collectionNamesOf, FIRST_SET_SUFFIX, readModelCollections } from '../read-models/read-model-collections';
import { ReadModelQueries } from '../read-models/queries';
import { dumpReadModels, openTestDatabase, type TestDatabase } from '../read-models/testing/mongo-test-database';
import { rebuildReadModels } from './rebuild-read-models';
import { appendScenario, openScratchEventStore, type ScratchEventStore } from './testing/scratch-event-store';

// Replay against the real servers: a few thousand events appended to a PostgreSQL event store
// (a schema of its own, so "all events" are this test's), projected live by the batch
// applier in batches of varying sizes with duplicates and redeliveries mixed in, then
// rebuilt from position zero into new collections: document for document the same.

function postgresUrl(): string {
  const url = process.env.POSTGRES_URL;
  if (!url) throw new Error('POSTGRES_URL was not set by the global setup');
  return url;
}

let scratch: ScratchEventStore;
let database: TestDatabase;
const scenario = generateScenario({ seed: 2024, events: 2_000, users: 14, groups: 5, directs: 10 });

beforeAll(async () => {
  scratch = await openScratchEventStore(postgresUrl(), 'proj_replay');
  database = await openTestDatabase('proj_test_replay');
  await appendScenario(scratch.store, scenario.events);
}, 120_000);

afterAll(async () => {
  await database?.drop();
  await scratch?.drop();
});

async function readEverything(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after = startOfAll;
  for (;;) {
    const page = await scratch.store.readAll({ after, maxCount: 500, filter: { streamPrefixes: projectedStreamPrefixes } });
    events.push(...page);
    const last = page[page.length - 1];
    if (!last || page.length < 500) return events;
    after = last.position;
  }
}

/** Live projection as a worker with restarts would feed it: uneven batches, some events twice, some batches again. */
async function projectLive(events: readonly RecordedEvent[]): Promise<MongoReadModelStorage> {
  const storage = await MongoReadModelStorage.open(database.db);
  const applier = new BatchApplier(storage);
  const sizes = [1, 17, 250, 3, 64, 500, 9];
  for (let i = 0, n = 0; i < events.length; n += 1) {
    const size = sizes[n % sizes.length] ?? 1;
    const batch = events.slice(i, i + size);
    // Every third batch starts with the tail of the previous one again (a restart from an older checkpoint).
    const redelivered = n % 3 === 0 ? events.slice(Math.max(0, i - 5), i) : [];
    // Every fifth batch carries one of its events twice.
    const doubled = n % 5 === 0 && batch[0] ? [batch[0], ...batch] : batch;
    await applier.apply([...redelivered, ...doubled]);
    if (n % 7 === 0) await applier.apply(batch);
    i += size;
  }
  return storage;
}

describe('rebuildReadModels (PostgreSQL event store, FerretDB)', () => {
  it('rebuilds from position zero into new collections that equal the live ones document for document, then switches to them', async () => {
    const events = await readEverything();
    expect(events.length).toBe(scenario.events.length);
    const live = await projectLive(events);
    const liveDocuments = await dumpReadModels(database.db, live.collections);
    expect(liveDocuments.messages.length).toBeGreaterThan(700);

    const queries = new ReadModelQueries(database.db, { activeSetCacheMs: 0 });
    const someone = scenario.userIds[0] ?? '';
    const before = await queries.conversationsOfUser(someone);

    const progress: string[] = [];
    const result = await rebuildReadModels(scratch.store, database.db, {
      suffix: '_r1',
      pageSize: 700,
      dropDelayMs: 0,
      onProgress: (p) => progress.push(p.phase),
    });
    expect(result.events).toBe(events.length);
    expect(result.skipped).toBe(0);
    // The first pass knew when every document stopped changing: each was written exactly once.
    expect(result.documentsRewritten).toBe(0);
    expect(result.documentsWritten).toBe(Object.values(liveDocuments).reduce((sum, docs) => sum + docs.length, 0));
    expect(result.previous?.suffix).toBe(FIRST_SET_SUFFIX);
    expect(progress).toEqual(expect.arrayContaining(['scanning', 'building', 'catching-up', 'switching', 'done']));

    const rebuilt = await dumpReadModels(database.db, result.collections);
    expect(rebuilt).toEqual(liveDocuments);
    // And both say what the write side's model says.
    const expected = scenario.expected();
    expect(sortedReaders(readModelFacts(rebuilt as unknown as AllDocuments, expected))).toEqual(sortedReaders(expected));

    // The switch: readers see the new set, the old one is gone, and the new set's checkpoint is where the rebuild ended.
    expect((await activeReadModels(database.db)).suffix).toBe('_r1');
    expect(await queries.conversationsOfUser(someone)).toEqual(before);
    const names = (await database.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    for (const name of Object.values(collectionNamesOf(live.collections))) expect(names).not.toContain(name);
    for (const name of Object.values(collectionNamesOf(result.collections))) expect(names).toContain(name);
    const checkpoint = await new CheckpointStore(database.db).loadCheckpoint(checkpointNameOf(result.collections));
    expect(checkpoint).toEqual(events[events.length - 1]?.position);
  }, 300_000);

  it('picks up, before switching, what was appended while it ran, and a live worker continues from its checkpoint', async () => {
    const later = generateScenario({ seed: 77, events: 400, users: 6, groups: 2, directs: 3, idPrefix: 'bb00cc11' });
    // Events appended once the build has read everything: the rebuild must read them before it switches.
    let catchingUp = false;
    let appended = false;
    const store: EventStore = Object.assign(Object.create(scratch.store) as EventStore, {
      readAll: async (options?: ReadAllOptions) => {
        if (catchingUp && !appended) {
          appended = true;
          await appendScenario(scratch.store, later.events.slice(0, 200));
        }
        return scratch.store.readAll(options);
      },
    });
    const result = await rebuildReadModels(store, database.db, {
      suffix: '_r2',
      pageSize: 1_000,
      dropDelayMs: 0,
      onProgress: (p) => {
        if (p.phase === 'catching-up') catchingUp = true;
      },
    });
    expect(appended).toBe(true);
    expect(result.events).toBe(scenario.events.length + 200);
    expect(result.previous?.suffix).toBe('_r1');
    expect(await new CheckpointStore(database.db).loadCheckpoint(checkpointNameOf(result.collections))).toEqual(result.position);

    // A live worker reopens the active set and resumes from its checkpoint.
    const storage = await MongoReadModelStorage.open(database.db);
    expect(storage.collections.suffix).toBe('_r2');
    const resumeAfter = await storage.checkpoints().load();
    await appendScenario(scratch.store, later.events.slice(200));
    const applier = new BatchApplier(storage);
    const remaining = (await readEverything()).filter(
      (e) => !resumeAfter || e.position.commit > resumeAfter.commit || (e.position.commit === resumeAfter.commit && e.position.prepare > resumeAfter.prepare),
    );
    await applier.apply(remaining);

    // Rebuilding everything again gives what the live worker holds.
    const liveDocuments = await dumpReadModels(database.db, storage.collections);
    const again = await rebuildReadModels(scratch.store, database.db, { suffix: '_r3', dropDelayMs: 0 });
    expect(await dumpReadModels(database.db, again.collections)).toEqual(liveDocuments);
    expect(again.events).toBe(scenario.events.length + later.events.length);
  }, 120_000);

  it('rewrites what events appended during the rebuild change after it was written, ending as a live projection does', async () => {
    const second = await openScratchEventStore(postgresUrl(), 'proj_replay2');
    try {
      const history = generateScenario({ seed: 99, events: 1_500, users: 8, groups: 3, directs: 5, idPrefix: 'dd00ee11' });
      await appendScenario(second.store, history.events.slice(0, 1_000));
      let building = false;
      let appended = false;
      const store: EventStore = Object.assign(Object.create(second.store) as EventStore, {
        readAll: async (options?: ReadAllOptions) => {
          if (building && !appended) {
            appended = true;
            await appendScenario(second.store, history.events.slice(1_000));
          }
          return second.store.readAll(options);
        },
      });
      const result = await rebuildReadModels(store, database.db, {
        prefix: 'x_',
        suffix: '_r1',
        pageSize: 100,
        dropDelayMs: 0,
        onProgress: (p) => {
          if (p.phase === 'building') building = true;
        },
      });
      expect(result.events).toBe(1_500);
      expect(result.documentsRewritten).toBeGreaterThan(0);

      const live = new BatchApplier(await MongoReadModelStorage.open(database.db, { collections: readModelCollections({ prefix: 'y_' }) }));
      let after = startOfAll;
      for (;;) {
        const page = await second.store.readAll({ after, maxCount: 300, filter: { streamPrefixes: projectedStreamPrefixes } });
        await live.apply(page);
        const last = page[page.length - 1];
        if (!last || page.length < 300) break;
        after = last.position;
      }
      expect(await dumpReadModels(database.db, result.collections)).toEqual(await dumpReadModels(database.db, readModelCollections({ prefix: 'y_' })));
    } finally {
      await second.drop();
    }
  }, 120_000);

  it('starts over when a rebuild with the same suffix left collections behind', async () => {
    const collections = readModelCollections({ suffix: '_r9' });
    await database.db.collection(collections.messages).insertOne({ _id: 'leftover' } as never);
    const result = await rebuildReadModels(scratch.store, database.db, { suffix: '_r9', activate: false });
    expect(result.previous).toBeUndefined();
    expect(await database.db.collection(collections.messages).countDocuments({ _id: 'leftover' } as never)).toBe(0);
    expect((await activeReadModels(database.db)).suffix).toBe('_r3');
  });
});
