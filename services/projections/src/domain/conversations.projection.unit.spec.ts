import { conversationViewSchema } from '@chat/contracts';
import { evolveConversation } from './conversations.projection';
import type { ConversationDoc } from './read-model-documents';
import { conversationView, userView } from './read-model-views';
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
  image,
  messageOf,
  mid,
  minute,
  photoRemoved,
  photoUpdated,
  pos,
  read,
  registered,
  removed,
  sent,
  unblocked,
} from './testing/projection-fixtures';

const people = [registered(alice, 'Alice'), registered(bob, 'Bob'), registered(carol, 'Carol'), registered(dave, 'Dave')];
const inGroup = [...people, groupCreated([alice, bob, carol], { createdAt: minute(1) })];

describe('conversations projection', () => {
  describe('DirectConversationCreated', () => {
    it('creates a direct conversation of the two, no name, photo or admins, active since its creation', () => {
      const { documents, changes } = given(...people).when(directCreated(alice, bob, minute(2)));
      expect(documents.conversations.get(direct)).toEqual({
        _id: direct,
        type: 'direct',
        name: null,
        groupImage: null,
        participantIds: [alice, bob],
        admins: [],
        createdBy: alice,
        readerIds: [alice, bob],
        messageCount: 0,
        liveMessageCount: 0,
        lastMessage: null,
        undelivered: {},
        lastActivityAt: minute(2),
        createdAt: minute(2),
        updatedAt: minute(2),
        viewPosition: pos(5),
        position: pos(5),
      });
      expect(changes.documents.conversations).toEqual([direct]);
    });

    it('changes nothing when it exists already', () => {
      const { changes } = given(...people, directCreated()).when(directCreated(bob, alice));
      expect(changes.documents.conversations).toEqual([]);
    });
  });

  describe('GroupConversationCreated', () => {
    it('creates the group with its members, admins and name', () => {
      const { documents } = given(...people).when(groupCreated([alice, bob, carol], { name: 'Team', createdAt: minute(3) }));
      expect(documents.conversations.get(group)).toMatchObject({
        type: 'group',
        name: 'Team',
        groupImage: null,
        participantIds: [alice, bob, carol],
        admins: [alice],
        readerIds: [alice, bob, carol],
        lastActivityAt: minute(3),
      });
    });

    it('changes nothing when the id is taken already', () => {
      const { changes } = given(...inGroup).when(groupCreated([bob, dave]));
      expect(changes.documents.conversations).toEqual([]);
    });
  });

  describe('ParticipantsAdded', () => {
    it('adds the new members after the others, as readers too', () => {
      const { documents } = given(...inGroup).when(added([dave]));
      expect(documents.conversations.get(group)).toMatchObject({
        participantIds: [alice, bob, carol, dave],
        readerIds: [alice, bob, carol, dave],
        updatedAt: minute(6),
        position: pos(6),
      });
    });

    it('changes nothing when everyone named is a member already', () => {
      const { changes } = given(...inGroup).when(added([bob]));
      expect(changes.documents.conversations).toEqual([]);
    });

    it('changes nothing in a direct conversation', () => {
      const { changes } = given(...people, directCreated()).when(added([carol], { conversationId: direct }));
      expect(changes.documents.conversations).toEqual([]);
    });
  });

  describe('ParticipantRemoved', () => {
    it('removes the member and their admin role, but keeps them a reader', () => {
      const { documents } = given(...inGroup).when(removed(alice));
      expect(documents.conversations.get(group)).toMatchObject({
        participantIds: [bob, carol],
        admins: [],
        readerIds: [alice, bob, carol],
      });
    });

    it('changes nothing for a non-member', () => {
      const { changes } = given(...inGroup).when(removed(dave));
      expect(changes.documents.conversations).toEqual([]);
    });
  });

  describe('MessageSent', () => {
    it('makes the message the last one, counts it, and moves the activity time', () => {
      const { documents } = given(...inGroup).when(sent(bob, group, mid(1), { text: 'hello', sentAt: minute(9) }));
      const doc = documents.conversations.get(group);
      expect(doc).toMatchObject({ messageCount: 1, liveMessageCount: 1, lastActivityAt: minute(9), position: pos(6) });
      expect(doc?.lastMessage).toEqual({
        _id: mid(1),
        conversationId: group,
        seq: 1,
        sender: { _id: bob, name: 'Bob', profileImage: '' },
        text: 'hello',
        media: [],
        messageType: 'text',
        replyTo: null,
        status: 'sent',
        delivered: false,
        deleted: false,
        createdAt: minute(9),
        updatedAt: minute(9),
      });
    });

    it('embeds exactly what the timeline holds', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1))).when(sent(bob, group, mid(2), { replyTo: mid(1) }));
      expect(documents.conversations.get(group)?.lastMessage).toEqual(messageOf(documents, mid(2)));
    });

    it("keeps it undelivered under its sender's name until a delivery", () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(bob, group, mid(2))).when(sent(alice, group, mid(3)));
      expect(documents.conversations.get(group)?.undelivered).toEqual({ [alice]: [[1, 1], [3, 3]], [bob]: [[2, 2]] });
    });

    it('never moves the activity time backwards (clocks of two deciders may disagree)', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1), { sentAt: minute(9) })).when(
        sent(bob, group, mid(2), { sentAt: minute(8) }),
      );
      expect(documents.conversations.get(group)?.lastActivityAt).toEqual(minute(9));
    });
  });

  describe('MessageDeleted', () => {
    it('shows the last message deleted and stops counting it', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1), { media: [image], messageType: 'image' })).when(
        deleted(alice, group, mid(1)),
      );
      expect(documents.conversations.get(group)).toMatchObject({
        messageCount: 1,
        liveMessageCount: 0,
        lastMessage: { _id: mid(1), deleted: true, text: null, media: [] },
        updatedAt: minute(7),
      });
    });

    it('takes a deleted message off what is undelivered', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(alice, group, mid(2))).when(deleted(alice, group, mid(1)));
      expect(documents.conversations.get(group)?.undelivered).toEqual({ [alice]: [[2, 2]] });
    });

    it('stops counting an older message without a visible change', () => {
      const { documents, changes } = given(...inGroup, sent(alice, group, mid(1)), sent(bob, group, mid(2))).when(
        deleted(alice, group, mid(1)),
      );
      expect(documents.conversations.get(group)).toMatchObject({ liveMessageCount: 1, updatedAt: minute(7), viewPosition: pos(7), position: pos(8) });
      expect(changes.documents.conversations).toEqual([group]);
    });

    it("blanks the last message's quote of the deleted message", () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(bob, group, mid(2), { replyTo: mid(1) })).when(
        deleted(alice, group, mid(1)),
      );
      expect(documents.conversations.get(group)?.lastMessage?.replyTo).toMatchObject({ _id: mid(1), text: '' });
    });
  });

  describe('MessagesRead', () => {
    it('shows the last message read', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1))).when(read(bob, group, [mid(1)]));
      expect(documents.conversations.get(group)?.lastMessage).toMatchObject({ status: 'read', updatedAt: minute(7) });
    });

    it('changes nothing when the last message is not among those read', () => {
      const { changes } = given(...inGroup, sent(alice, group, mid(1)), sent(alice, group, mid(2))).when(read(bob, group, [mid(1)]));
      expect(changes.documents.conversations).toEqual([]);
    });
  });

  describe('MessageDelivered', () => {
    it('shows the last message delivered', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1))).when(delivered(bob, group, [mid(1)]));
      expect(documents.conversations.get(group)?.lastMessage).toMatchObject({ status: 'delivered', delivered: true, updatedAt: minute(7) });
    });

    it('takes delivered messages off what is undelivered, wherever they are', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(bob, group, mid(2)), sent(alice, group, mid(3))).when(
        delivered(carol, group, [mid(1), mid(2)]),
      );
      expect(documents.conversations.get(group)).toMatchObject({ undelivered: { [alice]: [[3, 3]] }, lastMessage: { status: 'sent' } });
    });
  });

  describe('GroupPhotoUpdated', () => {
    it('sets the group image', () => {
      const { documents } = given(...inGroup).when(photoUpdated('https://cdn.example.com/g.png'));
      expect(documents.conversations.get(group)).toMatchObject({ groupImage: 'https://cdn.example.com/g.png', updatedAt: minute(6) });
    });

    it('changes nothing for the same image', () => {
      const { changes } = given(...inGroup, photoUpdated('https://cdn.example.com/g.png')).when(photoUpdated('https://cdn.example.com/g.png'));
      expect(changes.documents.conversations).toEqual([]);
    });
  });

  describe('GroupPhotoRemoved', () => {
    it('removes the group image', () => {
      const { documents } = given(...inGroup, photoUpdated('https://cdn.example.com/g.png')).when(photoRemoved());
      expect(documents.conversations.get(group)?.groupImage).toBeNull();
    });

    it('changes nothing when there is none', () => {
      const { changes } = given(...inGroup).when(photoRemoved());
      expect(changes.documents.conversations).toEqual([]);
    });
  });

  it('ignores user events, and events of other conversations', () => {
    const { documents } = given(...inGroup).when(sent(alice, group, mid(1)));
    const doc = documents.conversations.get(group) as ConversationDoc;
    const other = '6650a1b2c3d4e5f6a7b8c9ff';
    for (const event of [
      registered(alice),
      blocked(alice, bob),
      unblocked(alice, bob),
      directCreated(),
      groupCreated([alice], { conversationId: other }),
      added([dave], { conversationId: other }),
      removed(bob, { conversationId: other }),
      sent(alice, other, mid(2)),
      deleted(alice, other, mid(1)),
      read(bob, other, [mid(1)]),
      delivered(bob, other, [mid(1)]),
      photoUpdated('https://cdn.example.com/g.png', { conversationId: other }),
      photoRemoved({ conversationId: other }),
    ]) {
      expect(evolveConversation(doc, event, context(50))).toBe(doc);
    }
  });

  it('renders as the contract conversation view, participants populated in join order', () => {
    const { documents } = given(...inGroup, added([dave]), sent(dave, group, mid(1), { sentAt: minute(10) })).when(
      photoUpdated('https://cdn.example.com/g.png'),
    );
    const doc = documents.conversations.get(group) as ConversationDoc;
    const users = new Map([...documents.users.documents()].map((user) => [user._id, userView(user)]));
    const view = conversationView(doc, users, 3);
    expect(conversationViewSchema.parse(view)).toEqual(view);
    expect(view).toMatchObject({
      _id: group,
      type: 'group',
      name: 'Team',
      groupImage: 'https://cdn.example.com/g.png',
      participants: [
        { _id: alice, name: 'Alice', profileImage: '' },
        { _id: bob, name: 'Bob', profileImage: '' },
        { _id: carol, name: 'Carol', profileImage: '' },
        { _id: dave, name: 'Dave', profileImage: '' },
      ],
      admins: [alice],
      lastMessage: { _id: mid(1), senderId: { _id: dave, name: 'Dave', profileImage: '' }, status: 'sent' },
      unreadCount: 3,
      createdAt: minute(1),
      updatedAt: minute(8),
    });
  });
});
