import { messageViewSchema } from '@chat/contracts';
import { evolveMessage } from './messages.projection';
import type { MessageDoc } from './read-model-documents';
import { messageView } from './read-model-views';
import {
  added,
  alice,
  blocked,
  bob,
  carol,
  context,
  deleted,
  delivered,
  directCreated,
  given,
  group,
  groupCreated,
  image,
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

const people = [registered(alice, 'Alice', 'https://cdn.example.com/alice.png'), registered(bob, 'Bob'), registered(carol, 'Carol')];
const inGroup = [...people, groupCreated([alice, bob, carol])];

describe('messages projection', () => {
  describe('MessageSent', () => {
    it('creates the message in the spec shape, sender populated, status sent, next in conversation order', () => {
      const { documents, changes } = given(...inGroup, sent(bob, group, mid(1))).when(
        sent(alice, group, mid(2), { text: 'hi', sentAt: minute(5) }),
      );
      expect(documents.messages.get(mid(2))).toEqual({
        _id: mid(2),
        conversationId: group,
        seq: 2,
        sender: { _id: alice, name: 'Alice', profileImage: 'https://cdn.example.com/alice.png' },
        text: 'hi',
        media: [],
        messageType: 'text',
        replyTo: null,
        status: 'sent',
        readBy: [],
        deliveredAt: null,
        deleted: false,
        createdAt: new Date(minute(5)),
        updatedAt: new Date(minute(5)),
        position: pos(6),
      });
      expect(changes.documents.messages).toEqual([mid(2)]);
    });

    it("shows a sender without a profile image with '' (the view's string)", () => {
      const { documents } = given(...inGroup).when(sent(bob, group, mid(1)));
      expect(documents.messages.get(mid(1))?.sender).toEqual({ _id: bob, name: 'Bob', profileImage: '' });
    });

    it('keeps media and type as sent', () => {
      const { documents } = given(...inGroup).when(sent(bob, group, mid(1), { text: null, media: [image], messageType: 'image' }));
      expect(documents.messages.get(mid(1))).toMatchObject({ text: null, media: [image], messageType: 'image' });
    });

    it('quotes the replied-to message: its id, text and populated sender', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1), { text: 'question?' })).when(
        sent(bob, group, mid(2), { text: 'answer', replyTo: mid(1) }),
      );
      expect(documents.messages.get(mid(2))?.replyTo).toEqual({
        _id: mid(1),
        text: 'question?',
        senderId: { _id: alice, name: 'Alice', profileImage: 'https://cdn.example.com/alice.png' },
      });
    });

    it("quotes a media-only or deleted message as ''", () => {
      const { documents } = given(
        ...inGroup,
        sent(alice, group, mid(1), { text: null, media: [image], messageType: 'image' }),
        sent(alice, group, mid(2), { text: 'gone soon' }),
        deleted(alice, group, mid(2)),
        sent(bob, group, mid(3), { replyTo: mid(1) }),
      ).when(sent(bob, group, mid(4), { replyTo: mid(2) }));
      expect(documents.messages.get(mid(3))?.replyTo?.text).toBe('');
      expect(documents.messages.get(mid(4))?.replyTo?.text).toBe('');
    });

    it('changes nothing when the message exists already', () => {
      const { changes } = given(...inGroup, sent(alice, group, mid(1))).when(sent(alice, group, mid(1)));
      expect(changes.documents.messages).toEqual([]);
      expect(changes.effect).toBeNull();
    });

    it('projects nothing for a conversation the read model does not hold', () => {
      const { documents } = given(...people).when(sent(alice, group, mid(1)));
      expect(documents.messages.get(mid(1))).toBeNull();
    });
  });

  describe('MessageDeleted', () => {
    it('marks it deleted with no text and no media, keeping its status', () => {
      const { documents } = given(
        ...inGroup,
        sent(alice, group, mid(1), { text: 'oops', media: [image], messageType: 'image' }),
        read(bob, group, [mid(1)]),
      ).when(deleted(alice, group, mid(1)));
      expect(documents.messages.get(mid(1))).toMatchObject({
        deleted: true,
        text: null,
        media: [],
        status: 'read',
        readBy: [bob],
        updatedAt: new Date(minute(7)),
        position: pos(7),
      });
    });

    it("blanks the quote of every reply to it ('' as for any deleted message)", () => {
      const { documents, changes } = given(
        ...inGroup,
        sent(alice, group, mid(1), { text: 'secret' }),
        sent(bob, group, mid(2), { replyTo: mid(1) }),
        sent(carol, group, mid(3), { replyTo: mid(1) }),
      ).when(deleted(alice, group, mid(1)));
      expect(documents.messages.get(mid(2))?.replyTo).toMatchObject({ _id: mid(1), text: '' });
      expect(documents.messages.get(mid(3))?.replyTo).toMatchObject({ _id: mid(1), text: '' });
      expect(changes.documents.messages.sort()).toEqual([mid(1), mid(2), mid(3)].sort());
    });

    it('changes nothing the second time', () => {
      const { changes } = given(...inGroup, sent(alice, group, mid(1)), deleted(alice, group, mid(1))).when(deleted(alice, group, mid(1)));
      expect(changes.documents.messages).toEqual([]);
    });
  });

  describe('MessagesRead', () => {
    it('records the reader and makes the message read', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(alice, group, mid(2))).when(read(bob, group, [mid(1), mid(2)]));
      expect(documents.messages.get(mid(1))).toMatchObject({ status: 'read', readBy: [bob], updatedAt: new Date(minute(7)), position: pos(7) });
      expect(documents.messages.get(mid(2))).toMatchObject({ status: 'read', readBy: [bob] });
    });

    it('keeps who read what per user', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), read(bob, group, [mid(1)])).when(read(carol, group, [mid(1)]));
      expect(documents.messages.get(mid(1))?.readBy).toEqual([bob, carol]);
    });

    it("never counts the sender's own read", () => {
      const { documents, changes } = given(...inGroup, sent(alice, group, mid(1))).when(read(alice, group, [mid(1)]));
      expect(documents.messages.get(mid(1))).toMatchObject({ status: 'sent', readBy: [] });
      expect(changes.effect).toBeNull();
    });

    it('changes nothing when that reader read it already', () => {
      const { changes } = given(...inGroup, sent(alice, group, mid(1)), read(bob, group, [mid(1)])).when(read(bob, group, [mid(1)]));
      expect(changes.documents.messages).toEqual([]);
    });
  });

  describe('MessageDelivered', () => {
    it('makes a sent message delivered, once', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1))).when(delivered(bob, group, [mid(1)]));
      expect(documents.messages.get(mid(1))).toMatchObject({ status: 'delivered', deliveredAt: new Date(minute(6)), position: pos(6) });
      const again = given(...inGroup, sent(alice, group, mid(1)), delivered(bob, group, [mid(1)])).when(delivered(carol, group, [mid(1)]));
      expect(again.changes.documents.messages).toEqual([]);
      expect(again.documents.messages.get(mid(1))?.deliveredAt).toEqual(new Date(minute(6)));
    });

    it('records a delivery after a read without turning read back into delivered', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), read(bob, group, [mid(1)])).when(delivered(carol, group, [mid(1)]));
      expect(documents.messages.get(mid(1))).toMatchObject({ status: 'read', deliveredAt: new Date(minute(7)) });
    });
  });

  it('ignores every event that is not about its message', () => {
    const { documents } = given(...inGroup).when(sent(alice, group, mid(1)));
    const doc = documents.messages.get(mid(1)) as MessageDoc;
    for (const event of [
      registered(alice),
      blocked(alice, bob),
      unblocked(alice, bob),
      directCreated(),
      groupCreated(),
      added([carol]),
      removed(carol),
      sent(alice, group, mid(2)),
      deleted(alice, group, mid(2)),
      read(bob, group, [mid(2)]),
      delivered(bob, group, [mid(2)]),
      photoUpdated('https://cdn.example.com/g.png'),
      photoRemoved(),
    ]) {
      expect(evolveMessage(doc, event, context(50))).toBe(doc);
    }
  });

  it('renders as the contract message view', () => {
    const { documents } = given(...inGroup, sent(alice, group, mid(1), { text: 'q' }), delivered(bob, group, [mid(1)])).when(
      sent(bob, group, mid(2), { text: null, media: [image], messageType: 'image', replyTo: mid(1), sentAt: minute(3) }),
    );
    const view = messageView(documents.messages.get(mid(2)) as MessageDoc);
    expect(messageViewSchema.parse(view)).toEqual(view);
    expect(view).toEqual({
      _id: mid(2),
      conversationId: group,
      senderId: { _id: bob, name: 'Bob', profileImage: '' },
      text: null,
      media: [image],
      messageType: 'image',
      status: 'sent',
      replyTo: { _id: mid(1), text: 'q', senderId: { _id: alice, name: 'Alice', profileImage: 'https://cdn.example.com/alice.png' } },
      createdAt: minute(3),
      updatedAt: minute(3),
      deleted: false,
    });
  });
});
