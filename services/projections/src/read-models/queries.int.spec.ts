import {
  conversationStream,
  conversationViewSchema,
  type DomainEvent,
  type MessagesPageView,
  messagesPageViewSchema,
  messageViewSchema,
  userStream,
  userViewSchema,
} from '@chat/contracts';
import type { RecordedEvent } from '@chat/runtime';
import { MongoClient } from 'mongodb';
import { conversationIdOf } from '../domain/conversations.projection';
import {
  added,
  alice,
  at,
  blocked,
  bob,
  carol,
  dave,
  deleted,
  delivered,
  direct,
  directCreated,
  group,
  groupCreated,
  image,
  mid,
  minute,
  photoUpdated,
  read,
  registered,
  removed,
  sent,
} from '../domain/testing/projection-fixtures';
import { activateReadModels } from './active-read-models';
import { BatchApplier } from './batch-applier';
import { MongoReadModelStorage } from './mongo-read-model-storage';
import { readModelCollections } from './read-model-collections';
import { type MessagesPageOptions, ReadModelQueries } from './queries';
import { mongoUrl, openTestDatabase, type TestDatabase } from './testing/mongo-test-database';

// The gateway's queries against real FerretDB: shapes parse with the contracts' view schemas,
// history pages, ordering, access answers, unknown and malformed ids.

const eve = '507f1f77bcf86cd799439025';
const team2 = '6650a1b2c3d4e5f6a7b8c9d1';
const notAnId = 'not-an-object-id';

function toRecorded(events: readonly DomainEvent[]): RecordedEvent[] {
  return events.map((event, index) => {
    const projected = at(index + 1, event);
    const conversationId = conversationIdOf(event) ?? (event.type === 'UserRegistered' ? undefined : event.data.conversationId);
    return {
      id: projected.id,
      streamName: conversationId ? conversationStream(conversationId) : userStream(event.type === 'UserRegistered' ? event.data.userId : ''),
      revision: BigInt(index),
      position: { commit: BigInt(index + 1), prepare: BigInt(index + 1) },
      type: event.type,
      data: event.data,
      metadata: projected.metadata,
      createdAt: new Date(projected.metadata.occurredAt),
    };
  });
}

let database: TestDatabase;
let queries: ReadModelQueries;
let applier: BatchApplier;
let applied = 0;

/** Projects more events after what the suite set up. */
async function project(events: readonly DomainEvent[]): Promise<void> {
  const recorded = toRecorded(events).map((event, index) => {
    const n = BigInt(applied + index + 1);
    return { ...event, position: { commit: n, prepare: n }, metadata: { ...event.metadata, occurredAt: minute(300 + applied + index) } };
  });
  applied += events.length;
  await applier.apply(recorded);
}

beforeAll(async () => {
  database = await openTestDatabase('proj_test_queries');
  const storage = await MongoReadModelStorage.open(database.db);
  const history: DomainEvent[] = [
    registered(alice, 'Alice', 'https://cdn.example.com/alice.png'),
    registered(bob, 'Bob'),
    registered(carol, 'Carol'),
    registered(dave, 'Dave'),
    blocked(eve, alice), // eve blocks before her registration is projected: not a user yet
    directCreated(alice, bob, minute(1)),
    groupCreated([alice, bob, carol], { createdAt: minute(2) }),
    groupCreated([carol, dave], { conversationId: team2, name: 'Other', createdAt: minute(3) }),
    ...Array.from({ length: 120 }, (_, i) => sent(i % 2 === 0 ? alice : bob, group, mid(i + 1), { text: `group ${i + 1}`, sentAt: minute(10 + i) })),
    sent(bob, direct, mid(500), { text: 'hi alice', sentAt: minute(200) }),
    sent(alice, direct, mid(501), { text: null, media: [image], messageType: 'image', replyTo: mid(500), sentAt: minute(201) }),
    delivered(bob, direct, [mid(501)]),
    read(bob, group, [mid(1), mid(3), mid(5)]),
    deleted(alice, group, mid(7)),
    added([dave]),
    removed(carol),
    photoUpdated('https://cdn.example.com/team.png'),
    sent(dave, team2, mid(900), { sentAt: minute(150) }),
  ];
  applier = new BatchApplier(storage);
  await project(history);
  queries = new ReadModelQueries(database.db, { activeSetCacheMs: 0 });
}, 60_000);

afterAll(async () => {
  await database?.drop();
});

/** A page of history as bob (a member of every conversation paged here) sees it; none for an unknown conversation. */
async function page(conversationId: string, options: MessagesPageOptions = {}): Promise<MessagesPageView> {
  const lookup = await queries.messagesPageFor(conversationId, bob, options);
  return lookup.status === 'ok' ? lookup.page : { messages: [], hasMore: false };
}

describe('read-model queries (FerretDB)', () => {
  it('answers registered users as the User view, and nobody for unknown, unregistered or malformed ids', async () => {
    const user = await queries.userById(alice);
    expect(userViewSchema.parse(user)).toEqual({ _id: alice, name: 'Alice', profileImage: 'https://cdn.example.com/alice.png' });
    expect(await queries.userById(bob)).toEqual({ _id: bob, name: 'Bob', profileImage: '' });
    expect(await queries.userById(alice.toUpperCase())).toEqual(user);
    expect(await queries.userById(eve)).toBeNull();
    expect(await queries.userById(notAnId)).toBeNull();
    expect(await queries.usersByIds([carol, eve, notAnId, alice])).toEqual([
      { _id: carol, name: 'Carol', profileImage: '' },
      { _id: alice, name: 'Alice', profileImage: 'https://cdn.example.com/alice.png' },
    ]);
    expect(await queries.blocksOf(eve)).toEqual([alice]);
  });

  it('shows a conversation to a member only: 404 unknown, 403 not a participant', async () => {
    const lookup = await queries.conversationForUser(group, bob);
    if (lookup.status !== 'ok') throw new Error(`expected ok, got ${lookup.status}`);
    expect(conversationViewSchema.parse(lookup.conversation)).toEqual(lookup.conversation);
    expect(lookup.conversation).toMatchObject({
      _id: group,
      type: 'group',
      name: 'Team',
      groupImage: 'https://cdn.example.com/team.png',
      participants: [
        { _id: alice, name: 'Alice', profileImage: 'https://cdn.example.com/alice.png' },
        { _id: bob, name: 'Bob', profileImage: '' },
        { _id: dave, name: 'Dave', profileImage: '' },
      ],
      admins: [alice],
      lastMessage: { _id: mid(120), text: 'group 120', senderId: { _id: bob, name: 'Bob', profileImage: '' }, status: 'sent', deleted: false },
      // alice sent 60 of 120, bob read 3 of hers, and deleted mid(7) was hers: 60 - 3 - 1.
      unreadCount: 56,
    });
    expect(await queries.conversationForUser(group, carol)).toEqual({ status: 'not_participant' });
    expect(await queries.conversationForUser(group, notAnId)).toEqual({ status: 'not_participant' });
    expect(await queries.conversationForUser('6650a1b2c3d4e5f6a7b8c9aa', bob)).toEqual({ status: 'not_found' });
    expect(await queries.conversationForUser(notAnId, bob)).toEqual({ status: 'not_found' });
    expect(await queries.participantsOf(group)).toEqual([alice, bob, dave]);
    expect(await queries.participantsOf(notAnId)).toBeNull();
  });

  it("counts a newcomer's whole history as unread", async () => {
    const lookup = await queries.conversationForUser(group, dave);
    expect(lookup.status === 'ok' && lookup.conversation.unreadCount).toBe(119);
  });

  it("lists a user's conversations, most recent activity first, each as they see it", async () => {
    const conversations = await queries.conversationsOfUser(alice);
    for (const conversation of conversations) expect(conversationViewSchema.safeParse(conversation).success).toBe(true);
    expect(conversations.map((c) => c._id)).toEqual([direct, group]);
    expect(conversations[0]).toMatchObject({ type: 'direct', name: null, unreadCount: 1, lastMessage: { _id: mid(501), status: 'delivered' } });
    expect((await queries.conversationsOfUser(dave)).map((c) => c._id)).toEqual([team2, group]);
    expect(await queries.conversationsOfUser(carol)).toHaveLength(1);
    expect(await queries.conversationsOfUser(notAnId)).toEqual([]);
  });

  it('pages history oldest to newest, each page ending just before `before`', async () => {
    const newest = await page(group, { limit: 50 });
    expect(messagesPageViewSchema.parse(newest)).toEqual(newest);
    expect(newest.messages.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `group ${71 + i}`));
    expect(newest.hasMore).toBe(true);

    const older = await page(group, { limit: 50, before: newest.messages[0]?._id });
    expect(older.messages[0]?.text).toBe('group 21');
    expect(older.messages[49]?.text).toBe('group 70');
    expect(older.hasMore).toBe(true);

    const oldest = await page(group, { limit: 50, before: older.messages[0]?._id });
    expect(oldest.messages).toHaveLength(20);
    expect(oldest.hasMore).toBe(false);
    expect(oldest.messages[0]).toMatchObject({ _id: mid(1), status: 'read' });
    expect(oldest.messages[6]).toMatchObject({ _id: mid(7), deleted: true, text: null, media: [] });

    expect((await page(group, { limit: 500 })).messages).toHaveLength(100);
    expect((await page(group)).messages).toHaveLength(50);
    expect((await page(group, { limit: 1 })).messages.map((m) => m._id)).toEqual([mid(120)]);
    // Not a usable limit (the REST schema never lets one through): the default.
    expect((await page(group, { limit: 0 })).messages).toHaveLength(50);
  });

  it('answers an empty page for a `before` that is not a message of that conversation', async () => {
    expect(await page(group, { before: mid(500) })).toEqual({ messages: [], hasMore: false });
    expect(await page(group, { before: notAnId })).toEqual({ messages: [], hasMore: false });
    expect(await page(notAnId)).toEqual({ messages: [], hasMore: false });
  });

  it('answers a message by id as the Message view, replies quoting their target', async () => {
    const reply = await queries.messageById(mid(501));
    expect(messageViewSchema.parse(reply)).toEqual(reply);
    expect(reply).toMatchObject({
      conversationId: direct,
      text: null,
      media: [image],
      messageType: 'image',
      status: 'delivered',
      replyTo: { _id: mid(500), text: 'hi alice', senderId: { _id: bob, name: 'Bob', profileImage: '' } },
      deleted: false,
    });
    expect(await queries.messageById(mid(999))).toBeNull();
    expect(await queries.messageById(notAnId)).toBeNull();
  });

  it('answers a page of history to a member only, in one round of reads', async () => {
    const lookup = await queries.messagesPageFor(group, bob, { limit: 2 });
    expect(lookup).toMatchObject({ status: 'ok', page: { hasMore: true } });
    expect(lookup.status === 'ok' && lookup.page.messages.map((m) => m._id)).toEqual([mid(119), mid(120)]);
    expect(await queries.messagesPageFor(group, carol)).toEqual({ status: 'not_participant' });
    expect(await queries.messagesPageFor('6650a1b2c3d4e5f6a7b8c9aa', bob)).toEqual({ status: 'not_found' });
    expect(await queries.messagesPageFor(notAnId, bob)).toEqual({ status: 'not_found' });
  });

  it("answers a user's contacts: everyone sharing a conversation with them now", async () => {
    expect((await queries.contactsOf(alice)).sort()).toEqual([bob, dave].sort());
    // carol left the group and shares only team2 with dave.
    expect(await queries.contactsOf(carol)).toEqual([dave]);
    expect((await queries.contactsOf(dave)).sort()).toEqual([alice, bob, carol].sort());
    expect(await queries.contactsOf(eve)).toEqual([]);
    expect(await queries.contactsOf(notAnId)).toEqual([]);
  });

  it("answers what waits for delivery to a user, oldest first, never their own, at most the limit", async () => {
    const forBob = await queries.undeliveredFor(bob);
    // bob's own messages never; mid(7) was deleted; alice's 59 others in the group wait for him.
    const group1 = forBob.find((entry) => entry.conversationId === group);
    expect(group1?.messageIds).toHaveLength(59);
    expect(group1?.messageIds.slice(0, 3)).toEqual([mid(1), mid(3), mid(5)]);
    expect(forBob.find((entry) => entry.conversationId === direct)).toBeUndefined();
    expect((await queries.undeliveredFor(bob, 10)).flatMap((entry) => entry.messageIds)).toHaveLength(10);
    // dave joined later: everyone else's undelivered messages of the group wait for him too.
    expect((await queries.undeliveredFor(dave)).find((entry) => entry.conversationId === group)?.messageIds).toHaveLength(119);
    // carol left the group: only dave's message in team2 waits for her.
    expect(await queries.undeliveredFor(carol)).toEqual([{ conversationId: team2, messageIds: [mid(900)] }]);
    expect(await queries.undeliveredFor(notAnId)).toEqual([]);
  });

  it('lists what changed since the last list (the remembered conversations are checked against the inbox), reading one document when nothing did', async () => {
    const before = await queries.conversationsOfUser(bob);
    await project([sent(alice, group, mid(700), { text: 'newest', sentAt: minute(400) })]);
    const after = await queries.conversationsOfUser(bob);
    expect(after.map((c) => c._id)).toEqual([group, ...before.map((c) => c._id).filter((id) => id !== group)]);
    expect(after[0]).toMatchObject({ lastMessage: { _id: mid(700), text: 'newest' }, unreadCount: (before.find((c) => c._id === group)?.unreadCount ?? 0) + 1 });

    const finds: string[] = [];
    const client = new MongoClient(mongoUrl(), { retryWrites: false, monitorCommands: true });
    client.on('commandStarted', (event) => {
      if (event.commandName === 'find') finds.push(String(event.command.find));
    });
    try {
      const watched = new ReadModelQueries(client.db(database.db.databaseName), { activeSetCacheMs: 60_000 });
      expect(await watched.conversationsOfUser(bob)).toEqual(after);
      finds.length = 0;
      expect(await watched.conversationsOfUser(bob)).toEqual(after);
      expect(finds).toEqual([readModelCollections().inboxes]);
    } finally {
      await client.close();
    }
  });

  it('reads a history page beside its conversation when it knows where to look, and again what that missed', async () => {
    const grows = '6650a1b2c3d4e5f6a7b8c9e1';
    const texts = (view: MessagesPageView): (string | null)[] => view.messages.map((m) => m.text);
    const upTo = (n: number, limit: number): string[] => Array.from({ length: Math.min(n, limit) }, (_, i) => `grows ${n - Math.min(n, limit) + i + 1}`);
    let sentSoFar = 0;
    const send = (count: number): Promise<void> =>
      project(Array.from({ length: count }, () => ((sentSoFar += 1), sent(alice, grows, mid(2_000 + sentSoFar), { text: `grows ${sentSoFar}` }))));
    await project([groupCreated([alice, bob], { conversationId: grows })]);
    await send(30);
    // Commands in flight together are one round; a command sent after an answer came starts another.
    const events: ('started' | 'answered')[] = [];
    const client = new MongoClient(mongoUrl(), { retryWrites: false, monitorCommands: true });
    client.on('commandStarted', () => events.push('started'));
    client.on('commandSucceeded', () => events.push('answered'));
    const rounds = async (read: () => Promise<MessagesPageView>): Promise<{ page: MessagesPageView; rounds: number }> => {
      events.length = 0;
      const page = await read();
      return { page, rounds: events.filter((event, i) => event === 'started' && (i === 0 || events[i - 1] === 'answered')).length };
    };
    try {
      // Connections opened first: a command waiting for a new connection would look like a round.
      await Promise.all(Array.from({ length: 4 }, () => client.db('admin').command({ ping: 1 })));
      const watched = new ReadModelQueries(client.db(database.db.databaseName), { activeSetCacheMs: 60_000 });
      await watched.collections();
      const newest = async (limit: number): Promise<{ page: MessagesPageView; rounds: number }> =>
        rounds(async () => {
          const lookup = await watched.messagesPageFor(grows, bob, { limit });
          if (lookup.status !== 'ok') throw new Error(lookup.status);
          return lookup.page;
        });
      // Never seen: the conversation first, then its pages.
      expect(await newest(20)).toEqual({ page: { messages: expect.any(Array), hasMore: true }, rounds: 2 });
      // Seen: both at once, also after it grew within the page ahead.
      const again = await newest(20);
      expect([texts(again.page), again.rounds]).toEqual([upTo(30, 20), 1]);
      await send(3);
      const grown = await newest(20);
      expect([texts(grown.page), grown.rounds]).toEqual([upTo(33, 20), 1]);
      // Grown beyond what was read beside it: what is missing is read after.
      await send(60);
      const far = await newest(20);
      expect([texts(far.page), far.rounds]).toEqual([upTo(93, 20), 2]);
      // Paging back from the oldest message served: its place is known, one round.
      const back = await rounds(async () => {
        const lookup = await watched.messagesPageFor(grows, bob, { limit: 20, before: far.page.messages[0]?._id });
        if (lookup.status !== 'ok') throw new Error(lookup.status);
        return lookup.page;
      });
      expect([texts(back.page), back.rounds]).toEqual([upTo(73, 20), 1]);
      // A non-member learns nothing from a guess: the conversation still decides.
      expect(await watched.messagesPageFor(grows, carol, { limit: 20 })).toEqual({ status: 'not_participant' });
      // A `before` never served: its place is read beside the conversation, then the pages.
      const fresh = new ReadModelQueries(client.db(database.db.databaseName), { activeSetCacheMs: 60_000 });
      await fresh.collections();
      const unseen = await rounds(async () => {
        const lookup = await fresh.messagesPageFor(grows, bob, { limit: 5, before: mid(2_010) });
        if (lookup.status !== 'ok') throw new Error(lookup.status);
        return lookup.page;
      });
      expect([texts(unseen.page), unseen.rounds]).toEqual([['grows 5', 'grows 6', 'grows 7', 'grows 8', 'grows 9'], 2]);
      expect((await fresh.messagesPageFor(group, bob, { before: mid(2_010) })).status === 'ok').toBe(true);
      expect(await page(group, { before: mid(2_010) })).toEqual({ messages: [], hasMore: false });
    } finally {
      await client.close();
    }
  });

  it('reads whichever set is active, switching with the active-set document', async () => {
    const cached = new ReadModelQueries(database.db, { activeSetCacheMs: 60_000 });
    expect(await cached.userById(alice)).not.toBeNull();
    const empty = readModelCollections({ suffix: '_empty' });
    await activateReadModels(database.db, empty);
    try {
      expect(await queries.userById(alice)).toBeNull();
      expect(await cached.userById(alice)).not.toBeNull();
      expect(await new ReadModelQueries(database.db, { collections: readModelCollections() }).userById(alice)).not.toBeNull();
    } finally {
      await activateReadModels(database.db, readModelCollections());
    }
    expect(await queries.userById(alice)).not.toBeNull();
  });
});
