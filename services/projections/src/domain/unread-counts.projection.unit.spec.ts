import { type DomainEvent } from '@chat/contracts';
import type { ReadModelDocuments } from './document-set';
import { unreadCountId, type UnreadCountDoc } from './read-model-documents';
import { evolveUnreadCount } from './unread-counts.projection';
import {
  added,
  alice,
  blocked,
  bob,
  carol,
  context,
  dave,
  deleted,
  delivered,
  direct,
  directCreated,
  given,
  group,
  groupCreated,
  mid,
  photoRemoved,
  photoUpdated,
  pos,
  read,
  registered,
  removed,
  sent,
  unblocked,
} from './testing/projection-fixtures';

const inGroup: DomainEvent[] = [groupCreated([alice, bob, carol])];

function counts(documents: ReadModelDocuments, conversationId = group): Record<string, number | undefined> {
  const result: Record<string, number | undefined> = {};
  for (const [name, id] of Object.entries({ alice, bob, carol, dave })) {
    result[name] = documents.unreadCounts.get(unreadCountId(id, conversationId))?.count;
  }
  return result;
}

describe('unread counts projection', () => {
  describe('DirectConversationCreated', () => {
    it('starts both members at zero', () => {
      const { documents } = given().when(directCreated());
      expect(counts(documents, direct)).toEqual({ alice: 0, bob: 0, carol: undefined, dave: undefined });
      expect(documents.unreadCounts.get(unreadCountId(alice, direct))).toEqual({
        _id: `${alice}:${direct}`,
        userId: alice,
        conversationId: direct,
        count: 0,
        position: pos(1),
      });
    });
  });

  describe('GroupConversationCreated', () => {
    it('starts every member at zero', () => {
      const { documents } = given().when(groupCreated([alice, bob, carol]));
      expect(counts(documents)).toEqual({ alice: 0, bob: 0, carol: 0, dave: undefined });
    });
  });

  describe('MessageSent', () => {
    it("counts the message for everyone but its sender", () => {
      const { documents, changes } = given(...inGroup, sent(alice, group, mid(1))).when(sent(bob, group, mid(2)));
      expect(counts(documents)).toEqual({ alice: 1, bob: 1, carol: 2, dave: undefined });
      expect(changes.documents.unreadCounts.sort()).toEqual([unreadCountId(alice, group), unreadCountId(carol, group)].sort());
    });

    it('keeps counting for a member who left (the write side keeps their read state for their return)', () => {
      const { documents } = given(...inGroup, removed(carol)).when(sent(alice, group, mid(1)));
      expect(counts(documents).carol).toBe(1);
    });
  });

  describe('ParticipantsAdded', () => {
    it('starts a new member with the whole history unread, deleted messages excepted', () => {
      const { documents } = given(
        ...inGroup,
        sent(alice, group, mid(1)),
        sent(bob, group, mid(2)),
        sent(bob, group, mid(3)),
        deleted(bob, group, mid(3)),
        read(carol, group, [mid(1), mid(2)]),
      ).when(added([dave]));
      expect(counts(documents).dave).toBe(2);
    });

    it('gives a returning member what was sent while they were away on top of what they had', () => {
      const { documents } = given(
        ...inGroup,
        sent(alice, group, mid(1)),
        removed(carol),
        sent(alice, group, mid(2)),
        sent(bob, group, mid(3)),
      ).when(added([carol]));
      expect(counts(documents).carol).toBe(3);
    });
  });

  describe('ParticipantRemoved', () => {
    it('changes no count', () => {
      const { changes } = given(...inGroup, sent(alice, group, mid(1))).when(removed(bob));
      expect(changes.documents.unreadCounts).toEqual([]);
    });
  });

  describe('MessagesRead', () => {
    it("takes exactly the messages read off the reader's count", () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(alice, group, mid(2)), sent(alice, group, mid(3))).when(
        read(bob, group, [mid(1), mid(3)]),
      );
      expect(counts(documents)).toMatchObject({ bob: 1, carol: 3 });
    });

    it('never goes below zero', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1))).when(read(bob, group, [mid(1), mid(7), mid(8)]));
      expect(counts(documents).bob).toBe(0);
    });
  });

  describe('MessageDeleted', () => {
    it('takes the message off the count of those who had not read it, not of those who had', () => {
      const { documents } = given(
        ...inGroup,
        added([dave]),
        sent(alice, group, mid(1)),
        sent(alice, group, mid(2)),
        read(bob, group, [mid(1)]),
      ).when(deleted(alice, group, mid(1)));
      expect(counts(documents)).toEqual({ alice: 0, bob: 1, carol: 1, dave: 1 });
    });

    it('also for a member who left meanwhile', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), removed(carol)).when(deleted(alice, group, mid(1)));
      expect(counts(documents).carol).toBe(0);
    });
  });

  describe('MessageDelivered, group photos and user events', () => {
    it('change no count', () => {
      const doc: UnreadCountDoc = { _id: unreadCountId(bob, group), userId: bob, conversationId: group, count: 2, position: pos(3) };
      for (const event of [
        delivered(bob, group, [mid(1)]),
        photoUpdated('https://cdn.example.com/g.png'),
        photoRemoved(),
        registered(bob),
        blocked(bob, alice),
        unblocked(bob, alice),
      ]) {
        expect(evolveUnreadCount(doc, event, { ...context(9), userId: bob, conversationId: group })).toBe(doc);
      }
    });
  });

  it("ignores other conversations' events", () => {
    const doc: UnreadCountDoc = { _id: unreadCountId(bob, group), userId: bob, conversationId: group, count: 2, position: pos(3) };
    const other = '6650a1b2c3d4e5f6a7b8c9ff';
    for (const event of [sent(alice, other, mid(1)), read(bob, other, [mid(1)]), deleted(alice, other, mid(1)), added([bob], { conversationId: other })]) {
      expect(evolveUnreadCount(doc, event, { ...context(9), userId: bob, conversationId: group, liveMessageCount: 5 })).toBe(doc);
    }
  });
});
