import { messageViewSchema } from '@chat/contracts';
import { TIMELINE_PAGE_SIZE, timelinePageId } from './read-model-documents';
import { messageView } from './read-model-views';
import { evolveTimelinePage } from './timeline.projection';
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

const people = [registered(alice, 'Alice', 'https://cdn.example.com/alice.png'), registered(bob, 'Bob'), registered(carol, 'Carol')];
const inGroup = [...people, groupCreated([alice, bob, carol])];

describe('timeline projection (messages as history pages hold them)', () => {
  describe('MessageSent', () => {
    it('creates the message in the spec shape, sender populated, status sent, next in conversation order', () => {
      const { documents, changes } = given(...inGroup, sent(bob, group, mid(1))).when(
        sent(alice, group, mid(2), { text: 'hi', sentAt: minute(5) }),
      );
      expect(messageOf(documents, mid(2))).toEqual({
        _id: mid(2),
        conversationId: group,
        seq: 2,
        sender: { _id: alice, name: 'Alice', profileImage: 'https://cdn.example.com/alice.png' },
        text: 'hi',
        media: [],
        messageType: 'text',
        replyTo: null,
        status: 'sent',
        delivered: false,
        deleted: false,
        createdAt: minute(5),
        updatedAt: minute(5),
      });
      expect(documents.messages.get(mid(2))).toEqual({ _id: mid(2), conversationId: group, seq: 2, senderId: alice, replies: [], position: pos(6) });
      expect(documents.timeline.get(timelinePageId(group, 0))?.position).toBe(pos(6));
      expect(changes.documents.messages).toEqual([mid(2)]);
      expect(changes.documents.timeline).toEqual([timelinePageId(group, 0)]);
    });

    it("shows a sender without a profile image with '' (the view's string)", () => {
      const { documents } = given(...inGroup).when(sent(bob, group, mid(1)));
      expect(messageOf(documents, mid(1))?.sender).toEqual({ _id: bob, name: 'Bob', profileImage: '' });
    });

    it('keeps media and type as sent', () => {
      const { documents } = given(...inGroup).when(sent(bob, group, mid(1), { text: null, media: [image], messageType: 'image' }));
      expect(messageOf(documents, mid(1))).toMatchObject({ text: null, media: [image], messageType: 'image' });
    });

    it('quotes the replied-to message: its id, text and populated sender', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1), { text: 'question?' })).when(
        sent(bob, group, mid(2), { text: 'answer', replyTo: mid(1) }),
      );
      expect(messageOf(documents, mid(2))?.replyTo).toEqual({
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
      expect(messageOf(documents, mid(3))?.replyTo?.text).toBe('');
      expect(messageOf(documents, mid(4))?.replyTo?.text).toBe('');
    });

    it('changes nothing when the message exists already', () => {
      const { documents, changes } = given(...inGroup, sent(alice, group, mid(1))).when(sent(alice, group, mid(1)));
      expect(changes.documents.messages).toEqual([]);
      expect(changes.effect).toBeNull();
      expect(documents.timeline.get(timelinePageId(group, 0))?.messages.map((m) => m._id)).toEqual([mid(1)]);
    });

    it('projects nothing for a conversation the read model does not hold', () => {
      const { documents } = given(...people).when(sent(alice, group, mid(1)));
      expect(messageOf(documents, mid(1))).toBeNull();
      expect(documents.timeline.size).toBe(0);
    });

    it(`fills pages of ${TIMELINE_PAGE_SIZE} in order, the next message opening the next page`, () => {
      const sends = Array.from({ length: TIMELINE_PAGE_SIZE }, (_, i) => sent(i % 2 ? bob : alice, group, mid(i + 1)));
      const { documents, changes } = given(...inGroup, ...sends).when(sent(carol, group, mid(TIMELINE_PAGE_SIZE + 1)));
      expect(documents.timeline.get(timelinePageId(group, 0))?.messages.map((m) => m.seq)).toEqual(sends.map((_, i) => i + 1));
      expect(documents.timeline.get(timelinePageId(group, 1))).toMatchObject({ conversationId: group, page: 1, messages: [{ _id: mid(TIMELINE_PAGE_SIZE + 1), seq: TIMELINE_PAGE_SIZE + 1 }] });
      expect(changes.documents.timeline).toEqual([timelinePageId(group, 1)]);
    });

    it("records a reply on the quoted message's own document, by place", () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(bob, group, mid(2), { replyTo: mid(1) })).when(
        sent(carol, group, mid(3), { replyTo: mid(1) }),
      );
      expect(documents.messages.get(mid(1))?.replies).toEqual([2, 3]);
    });
  });

  describe('MessageDeleted', () => {
    it('marks it deleted with no text and no media, keeping its status', () => {
      const { documents } = given(
        ...inGroup,
        sent(alice, group, mid(1), { text: 'oops', media: [image], messageType: 'image' }),
        read(bob, group, [mid(1)]),
      ).when(deleted(alice, group, mid(1)));
      expect(messageOf(documents, mid(1))).toMatchObject({
        deleted: true,
        text: null,
        media: [],
        status: 'read',
        updatedAt: minute(7),
      });
    });

    it("blanks the quote of every reply to it ('' as for any deleted message)", () => {
      const { documents, changes } = given(
        ...inGroup,
        sent(alice, group, mid(1), { text: 'secret' }),
        sent(bob, group, mid(2), { replyTo: mid(1) }),
        sent(carol, group, mid(3), { replyTo: mid(1) }),
      ).when(deleted(alice, group, mid(1)));
      expect(messageOf(documents, mid(2))?.replyTo).toMatchObject({ _id: mid(1), text: '' });
      expect(messageOf(documents, mid(3))?.replyTo).toMatchObject({ _id: mid(1), text: '' });
      expect(changes.documents.timeline).toEqual([timelinePageId(group, 0)]);
    });

    it('reaches replies on later pages', () => {
      const filler = Array.from({ length: TIMELINE_PAGE_SIZE + 3 }, (_, i) => sent(bob, group, mid(i + 10)));
      const { documents, changes } = given(...inGroup, sent(alice, group, mid(1), { text: 'secret' }), ...filler, sent(carol, group, mid(2), { replyTo: mid(1) })).when(
        deleted(alice, group, mid(1)),
      );
      expect(messageOf(documents, mid(2))?.replyTo).toMatchObject({ _id: mid(1), text: '' });
      expect(changes.documents.timeline.sort()).toEqual([timelinePageId(group, 0), timelinePageId(group, 1)]);
    });

    it('changes nothing the second time', () => {
      const { changes } = given(...inGroup, sent(alice, group, mid(1)), deleted(alice, group, mid(1))).when(deleted(alice, group, mid(1)));
      expect(changes.documents.timeline).toEqual([]);
      expect(changes.effect).toBeNull();
    });
  });

  describe('MessagesRead', () => {
    it('makes the messages read', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), sent(alice, group, mid(2))).when(read(bob, group, [mid(1), mid(2)]));
      expect(messageOf(documents, mid(1))).toMatchObject({ status: 'read', updatedAt: minute(7) });
      expect(messageOf(documents, mid(2))).toMatchObject({ status: 'read' });
      expect(documents.timeline.get(timelinePageId(group, 0))?.position).toBe(pos(7));
    });

    it('changes a read message again for another reader (its time moves)', () => {
      const { documents, changes } = given(...inGroup, sent(alice, group, mid(1)), read(bob, group, [mid(1)])).when(read(carol, group, [mid(1)]));
      expect(messageOf(documents, mid(1))).toMatchObject({ status: 'read', updatedAt: minute(7) });
      expect(changes.effect).toMatchObject({ kind: 'messages-read', readerId: carol, messageIds: [mid(1)] });
    });

    it("never counts the sender's own read", () => {
      const { documents, changes } = given(...inGroup, sent(alice, group, mid(1))).when(read(alice, group, [mid(1)]));
      expect(messageOf(documents, mid(1))).toMatchObject({ status: 'sent' });
      expect(changes.effect).toBeNull();
    });
  });

  describe('MessageDelivered', () => {
    it('makes a sent message delivered, once', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1))).when(delivered(bob, group, [mid(1)]));
      expect(messageOf(documents, mid(1))).toMatchObject({ status: 'delivered', delivered: true, updatedAt: minute(6) });
      const again = given(...inGroup, sent(alice, group, mid(1)), delivered(bob, group, [mid(1)])).when(delivered(carol, group, [mid(1)]));
      expect(again.changes.documents.timeline).toEqual([]);
      expect(messageOf(again.documents, mid(1))?.updatedAt).toEqual(minute(6));
    });

    it('records a delivery after a read without turning read back into delivered', () => {
      const { documents } = given(...inGroup, sent(alice, group, mid(1)), read(bob, group, [mid(1)])).when(delivered(carol, group, [mid(1)]));
      expect(messageOf(documents, mid(1))).toMatchObject({ status: 'read', delivered: true, updatedAt: minute(7) });
    });
  });

  it('ignores every event that is not about its messages', () => {
    const { documents } = given(...inGroup).when(sent(alice, group, mid(1)));
    const doc = documents.timeline.get(timelinePageId(group, 0));
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
      expect(evolveTimelinePage(doc, event, { ...context(50), conversationId: group, page: 0 })).toBe(doc);
    }
  });

  it('renders as the contract message view', () => {
    const { documents } = given(...inGroup, sent(alice, group, mid(1), { text: 'q' }), delivered(bob, group, [mid(1)])).when(
      sent(bob, group, mid(2), { text: null, media: [image], messageType: 'image', replyTo: mid(1), sentAt: minute(3) }),
    );
    const message = messageOf(documents, mid(2));
    if (!message) throw new Error('no message');
    const view = messageView(message);
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
