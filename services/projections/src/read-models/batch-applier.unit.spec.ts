import { gatewayNotificationSchema, type GatewayNotification } from '@chat/contracts';
import type { RecordedEvent } from '@chat/runtime';
import { readModelKeys } from '../domain/document-set';
import { timelinePageOf } from '../domain/read-model-documents';
import { generateScenario, type Scenario } from '../domain/testing/chat-scenario';
import { type AllDocuments, readModelFacts, sortedReaders } from '../domain/testing/read-model-facts';
import { BatchApplier } from './batch-applier';
import { InMemoryReadModelStorage, SimulatedCrash } from './testing/in-memory-read-model-storage';
import { recordEvents } from './testing/recorded-events';

/** Deterministic batch sizes from a seed, 1 to max. */
function batchesOf(events: readonly RecordedEvent[], seed: number, max = 40): RecordedEvent[][] {
  const batches: RecordedEvent[][] = [];
  let state = seed;
  for (let i = 0; i < events.length; ) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const size = 1 + (state % max);
    batches.push(events.slice(i, i + size));
    i += size;
  }
  return batches;
}

async function projectAll(storage: InMemoryReadModelStorage, batches: readonly RecordedEvent[][]): Promise<GatewayNotification[]> {
  const applier = new BatchApplier(storage);
  const notifications: GatewayNotification[] = [];
  for (const batch of batches) notifications.push(...(await applier.apply(batch)).notifications);
  return notifications;
}

function snapshot(storage: InMemoryReadModelStorage): Record<string, unknown[]> {
  const sorted = <T extends { _id: string }>(docs: Iterable<T>) => [...docs].sort((a, b) => a._id.localeCompare(b._id));
  return Object.fromEntries(readModelKeys.map((model) => [model, sorted(storage.collections[model].values() as Iterable<{ _id: string }>)]));
}

function facts(storage: InMemoryReadModelStorage, generated: Scenario) {
  const expected = generated.expected();
  const all = Object.fromEntries(readModelKeys.map((model) => [model, storage.collections[model].values()])) as unknown as AllDocuments;
  return { expected: sortedReaders(expected), actual: sortedReaders(readModelFacts(all, expected)) };
}

function scenario(seed: number, events = 600): { scenario: Scenario; recorded: RecordedEvent[] } {
  const generated = generateScenario({ seed, events, users: 10, groups: 4, directs: 8 });
  return { scenario: generated, recorded: recordEvents(generated.events) };
}

describe('BatchApplier (in memory)', () => {
  it.each([1, 2, 3, 4, 5])('agrees with a model of the write side (seed %i)', async (seed) => {
    const { scenario: generated, recorded } = scenario(seed);
    const storage = new InMemoryReadModelStorage();
    await projectAll(storage, batchesOf(recorded, seed));
    const { expected, actual } = facts(storage, generated);
    expect(actual.unread).toEqual(expected.unread);
    expect(actual.messages).toEqual(expected.messages);
    expect(actual.members).toEqual(expected.members);
    expect(actual.blocks).toEqual(expected.blocks);
    expect(actual.contacts).toEqual(expected.contacts);
    expect(actual.pending).toEqual(expected.pending);
  });

  it("numbers each conversation's messages 1, 2, 3…, pages them in order, and keeps the last one embedded as the timeline has it", async () => {
    const { recorded } = scenario(11);
    const storage = new InMemoryReadModelStorage();
    await projectAll(storage, batchesOf(recorded, 11));
    const { timeline, messages } = storage.collections;
    for (const conversation of storage.collections.conversations.values()) {
      const pages = [...timeline.values()].filter((page) => page.conversationId === conversation._id).sort((a, b) => a.page - b.page);
      const inOrder = pages.flatMap((page) => page.messages);
      expect(inOrder.map((m) => m.seq)).toEqual(inOrder.map((_, i) => i + 1));
      for (const page of pages) expect(page.messages.every((m) => timelinePageOf(m.seq) === page.page)).toBe(true);
      for (const message of inOrder) expect(messages.get(message._id)).toMatchObject({ conversationId: conversation._id, seq: message.seq });
      expect(conversation.messageCount).toBe(inOrder.length);
      expect(conversation.liveMessageCount).toBe(inOrder.filter((m) => !m.deleted).length);
      expect(conversation.lastMessage).toEqual(inOrder[inOrder.length - 1] ?? null);
    }
  });

  it("brings every member's inbox entry in line with the version of what the conversation shows", async () => {
    const { recorded } = scenario(12);
    const storage = new InMemoryReadModelStorage();
    await projectAll(storage, batchesOf(recorded, 12));
    for (const conversation of storage.collections.conversations.values()) {
      for (const userId of conversation.participantIds) {
        expect({ userId, entry: storage.collections.inboxes.get(userId)?.conversations[conversation._id] }).toMatchObject({
          userId,
          entry: { member: true, version: conversation.viewPosition },
        });
      }
    }
  });

  it('tells of each change once: one new:message per message, each read and each delivery once', async () => {
    const { scenario: generated, recorded } = scenario(7);
    const storage = new InMemoryReadModelStorage();
    const notifications = await projectAll(storage, batchesOf(recorded, 7));
    for (const notification of notifications) expect(gatewayNotificationSchema.safeParse(notification).success).toBe(true);

    const sends = generated.events.filter((e) => e.event.type === 'MessageSent');
    const byEvent = (name: GatewayNotification['event']) => notifications.filter((n) => n.event === name);
    expect(byEvent('new:message')).toHaveLength(sends.length);
    expect(byEvent('message:sent')).toHaveLength(0);
    const reads = byEvent('messages:read').flatMap((n) => (n.event === 'messages:read' ? n.payload.messageIds.map((id) => `${n.payload.readBy}:${id}`) : []));
    expect(new Set(reads).size).toBe(reads.length);
    const expectedReads = generated.events.flatMap((e) => (e.event.type === 'MessagesRead' ? e.event.data.messageIds.map((id) => `${e.metadata.userId}:${id}`) : []));
    expect(reads.sort()).toEqual(expectedReads.sort());
    const deliveries = byEvent('message:delivered').map((n) => (n.event === 'message:delivered' ? n.payload.messageId : ''));
    expect(new Set(deliveries).size).toBe(deliveries.length);
    expect(new Set(notifications.map((n) => n.dedupeKey)).size).toBe(notifications.length);
  });

  it('changes nothing and notifies nothing when batches are delivered again, whole or overlapping', async () => {
    const { recorded } = scenario(3);
    const storage = new InMemoryReadModelStorage();
    await projectAll(storage, batchesOf(recorded, 3));
    const before = snapshot(storage);
    const applier = new BatchApplier(storage);
    for (const batch of batchesOf(recorded, 99, 80)) {
      const plan = await applier.apply(batch);
      expect(plan.notifications).toEqual([]);
      expect(plan.documentCount).toBe(0);
    }
    const overlapping = recorded.slice(100, 300);
    expect((await applier.apply(overlapping)).notifications).toEqual([]);
    expect(snapshot(storage)).toEqual(before);
  });

  it('builds the same documents when events arrive twice within and across batches', async () => {
    const { recorded } = scenario(4);
    const clean = new InMemoryReadModelStorage();
    await projectAll(clean, batchesOf(recorded, 4));

    const stuttering = recorded.flatMap((event, index) => (index % 3 === 0 ? [event, event] : [event]));
    const redelivered = new InMemoryReadModelStorage();
    const batches = batchesOf(stuttering, 5);
    // Each batch starts with the previous batch's tail again, as a consumer restarted from an older checkpoint would.
    const withTails = batches.map((batch, index) => [...(batches[index - 1]?.slice(-3) ?? []), ...batch]);
    const notifications = await projectAll(redelivered, withTails);
    expect(snapshot(redelivered)).toEqual(snapshot(clean));
    expect(new Set(notifications.map((n) => n.dedupeKey)).size).toBe(notifications.length);
  });

  it('ignores an older event that reaches a document after a newer one', async () => {
    const { recorded } = scenario(6, 300);
    const storage = new InMemoryReadModelStorage();
    const applier = new BatchApplier(storage);
    await applier.apply(recorded);
    const before = snapshot(storage);
    for (const older of [recorded[20], recorded[150], recorded[299]]) {
      if (!older) continue;
      const plan = await applier.apply([older]);
      expect(plan.documentCount).toBe(0);
      expect(plan.notifications).toEqual([]);
    }
    expect(snapshot(storage)).toEqual(before);
  });

  it.each([21, 22, 23, 24, 25, 26])(
    'ends with the documents of a clean run when writes stop half-way and it resumes from an older checkpoint (seed %i)',
    async (seed) => {
      const { recorded } = scenario(seed, 500);
      const clean = new InMemoryReadModelStorage();
      await projectAll(clean, batchesOf(recorded, seed));

      const storage = new InMemoryReadModelStorage();
      const applier = new BatchApplier(storage);
      let checkpoint = 0; // events fully written and checkpointed
      let next = 0;
      let crashes = 0;
      let state = seed;
      const roll = (): number => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return state;
      };
      while (next < recorded.length) {
        // A restarted subscription batches differently, so batches overlap what was written.
        const batch = recorded.slice(next, next + 1 + (roll() % 40));
        const plan = await applier.plan(batch);
        if (roll() % 4 === 0 && plan.documentCount > 1) {
          storage.crashNextWriteAfter(roll() % plan.documentCount);
          await expect(plan.write()).rejects.toBeInstanceOf(SimulatedCrash);
          crashes += 1;
          // A restart resumes from the stored checkpoint, which may lag several batches behind.
          next = checkpoint;
          continue;
        }
        await plan.write();
        next += batch.length;
        if (roll() % 3 === 0) checkpoint = next;
      }
      expect(crashes).toBeGreaterThan(0);
      expect(snapshot(storage)).toEqual(snapshot(clean));
    },
  );

  it('refuses a batch out of position order', async () => {
    const { recorded } = scenario(8, 20);
    const applier = new BatchApplier(new InMemoryReadModelStorage());
    await expect(applier.plan([recorded[5], recorded[4]].filter((e): e is RecordedEvent => e !== undefined))).rejects.toThrow(/position order/);
  });

  it('skips, and reports, events it cannot project, and still moves the position past them', async () => {
    const { recorded } = scenario(9, 30);
    const [first] = recorded;
    if (!first) throw new Error('no events');
    const foreign = { ...first, id: '00000000-0000-4000-8000-00000000ffff', streamName: 'pg-test-stream', position: { commit: 1000n, prepare: 1000n } };
    const unknown = { ...first, id: '00000000-0000-4000-8000-00000000fffe', type: 'SomethingElse', position: { commit: 1001n, prepare: 1001n } };
    const invalid = { ...first, id: '00000000-0000-4000-8000-00000000fffd', data: { userId: 'nope' }, position: { commit: 1002n, prepare: 1002n } };
    const plan = await new BatchApplier(new InMemoryReadModelStorage()).plan([...recorded, foreign, unknown, invalid]);
    expect(plan.skipped.map((s) => s.id)).toEqual([foreign.id, unknown.id, invalid.id]);
    expect(plan.applied).toHaveLength(recorded.length);
    expect(plan.position).toEqual({ commit: 1002n, prepare: 1002n });
  });
});

describe('BatchApplier remembering what it wrote (the live worker)', () => {
  it.each([1, 2, 3])('ends exactly where an applier without memory ends, crashes included (seed %i)', async (seed) => {
    const { recorded } = scenario(seed);
    const plain = new InMemoryReadModelStorage();
    await projectAll(plain, batchesOf(recorded, seed));

    const storage = new InMemoryReadModelStorage();
    // A small cache, so documents are also forgotten and loaded again.
    const applier = new BatchApplier(storage, { cacheSize: 40 });
    applier.startFreshAfter({ commit: 0n, prepare: 0n });
    for (const [index, batch] of batchesOf(recorded, seed + 10).entries()) {
      if (index % 5 === 2) {
        storage.crashNextWriteAfter(1);
        await expect((await applier.plan(batch)).write()).rejects.toBeInstanceOf(SimulatedCrash);
      }
      await applier.apply(batch);
    }
    expect(snapshot(storage)).toEqual(snapshot(plain));
  });

  it.each([1, 2, 3, 4, 5, 6])('written behind, several plans a write, failed writes and plans made during a write included, ends where an applier without memory ends (seed %i)', async (seed) => {
    const { recorded } = scenario(seed);
    const plain = new InMemoryReadModelStorage();
    const plainNotifications = await projectAll(plain, batchesOf(recorded, seed));

    const storage = new InMemoryReadModelStorage();
    const applier = new BatchApplier(storage, { cacheSize: 40 });
    applier.startFreshAfter({ commit: 0n, prepare: 0n });
    const notifications: GatewayNotification[] = [];
    let writing: Promise<unknown> | undefined;
    for (const [index, batch] of batchesOf(recorded, seed + 20).entries()) {
      const plan = await applier.plan(batch);
      notifications.push(...plan.notifications);
      applier.stage(plan);
      // Staged documents are shared with later batches, not copied: under test they are frozen
      // through and through, so a projection changing one in place would throw here.
      for (const { doc } of plan.changes.inboxes) {
        expect(Object.isFrozen(doc) && Object.isFrozen(doc.conversations)).toBe(true);
      }
      // Writes of irregular size, some failing half-way, and each left running while the next batch is planned.
      if (index % 3 !== 0) continue;
      await writing;
      if (index % 7 === 3) storage.crashNextWriteAfter(1);
      writing = applier.writeStaged().catch((err: unknown) => {
        if (!(err instanceof SimulatedCrash)) throw err;
      });
    }
    await writing;
    while (applier.stagedCount > 0) await applier.writeStaged();
    expect(snapshot(storage)).toEqual(snapshot(plain));
    expect(notifications.map((n) => n.dedupeKey)).toEqual(plainNotifications.map((n) => n.dedupeKey));
  });

  it("asks storage only for documents it does not hold, and never for a fresh message's own document", async () => {
    const { recorded } = scenario(4, 300);
    const storage = new InMemoryReadModelStorage();
    const applier = new BatchApplier(storage, { cacheSize: 10_000 });
    applier.startFreshAfter({ commit: 0n, prepare: 0n });
    const asked: string[] = [];
    const load = storage.load.bind(storage);
    storage.load = (async (model, ids) => {
      asked.push(...ids.map((id) => `${model}:${id}`));
      return load(model, ids);
    }) as typeof storage.load;
    for (const batch of batchesOf(recorded, 4)) await applier.apply(batch);
    const sentIds = new Set(recorded.filter((e) => e.type === 'MessageSent').map((e) => (e.data as { messageId: string }).messageId));
    expect(asked.filter((key) => key.startsWith('messages:') && sentIds.has(key.slice('messages:'.length)))).toEqual([]);
    expect(new Set(asked).size).toBe(asked.length);
  });
});
