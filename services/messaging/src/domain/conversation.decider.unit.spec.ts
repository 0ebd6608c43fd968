import { ErrorMessage, MESSAGE_MEDIA_MAX, MESSAGE_TEXT_MAX_CHARS, READ_BATCH_MAX, type MediaItem, type RejectionCode, type StoredMediaItem } from '@chat/contracts';
import type { ConversationCommand } from './conversation.decider';
import {
  addParticipants,
  alice,
  block,
  blocked,
  bob,
  carol,
  createDirect,
  createGroup,
  dave,
  deleteMessage,
  direct,
  directCreated,
  group,
  groupCreated,
  markDelivered,
  markRead,
  messageDeleted,
  messageDelivered,
  messagesRead,
  mid,
  participantRemoved,
  participantsAdded,
  photoRemoved,
  photoUpdated,
  removeParticipant,
  removePhoto,
  send,
  sent,
  SENT_AT,
  setPhoto,
  spec,
  unblock,
  unblocked,
} from './testing/conversation-fixtures';

const image = (n = 1): StoredMediaItem => ({ url: `https://cdn.example.com/${n}.jpg`, type: 'image', filename: `${n}.jpg`, size: 10 });
const file: StoredMediaItem = { url: 'https://cdn.example.com/a.pdf', type: 'file', filename: 'a.pdf', size: 20 };
const audio: MediaItem = { url: 'https://cdn.example.com/a.mp3', type: 'audio', filename: 'a.mp3', size: 30 };
const photo = 'https://cdn.example.com/group.jpg';

const rejectedWith = (rejected: RejectionCode, message: string) => ({ rejected, message });

describe('conversation decider', () => {
  describe('CreateDirectConversation', () => {
    it('creates the pair’s conversation, creator first, at the decision time', () => {
      spec
        .given([])
        .when(createDirect(alice, bob))
        .then([directCreated(alice, bob)], { conversationId: direct });
    });

    it('answers either member asking again as a duplicate, with nothing new', () => {
      spec.given([directCreated(alice, bob)]).when(createDirect(alice, bob)).then([], { conversationId: direct, duplicate: true });
      spec.given([directCreated(alice, bob)]).when(createDirect(bob, alice)).then([], { conversationId: direct, duplicate: true });
    });

    it('is created on a stream that so far only holds blocks, and the blocks still hold', () => {
      spec.given([blocked(bob, alice)]).when(createDirect(alice, bob)).then([directCreated(alice, bob)]);
      spec
        .given([blocked(bob, alice), directCreated(alice, bob)])
        .when(send(alice, direct, mid(1)))
        .then(rejectedWith('forbidden', ErrorMessage.ActionNotAvailable));
    });

    it('refuses a creator other than the caller', () => {
      spec.given([]).when(createDirect(alice, bob, direct, carol)).then(rejectedWith('forbidden', ErrorMessage.ActingForAnotherUser));
    });

    it('refuses a conversation with oneself', () => {
      spec.given([]).when(createDirect(alice, alice)).then(rejectedWith('invalid', ErrorMessage.CannotConverseWithSelf));
    });

    it('refuses an id that is not the pair’s direct conversation id', () => {
      spec.given([]).when(createDirect(alice, bob, group)).then(rejectedWith('invalid', ErrorMessage.InvalidPayload));
    });

    it('refuses an id a group already uses', () => {
      spec
        .given([groupCreated([alice, bob], { conversationId: direct })])
        .when(createDirect(alice, bob))
        .then(rejectedWith('conflict', ErrorMessage.ConversationIdConflict));
    });
  });

  describe('CreateGroupConversation', () => {
    it('creates the group with the creator first and as its only admin, members deduplicated', () => {
      spec
        .given([])
        .when(createGroup(alice, [bob, alice, carol, bob]))
        .then([groupCreated([alice, bob, carol])], { conversationId: group });
    });

    it('creates a group of the creator alone, or without a name', () => {
      spec.given([]).when(createGroup(alice, [], { name: null })).then([groupCreated([alice], { name: null })]);
    });

    it('answers the same creator asking again as a duplicate', () => {
      spec.given([groupCreated()]).when(createGroup(alice, [dave])).then([], { conversationId: group, duplicate: true });
    });

    it('refuses another creator on a taken id', () => {
      spec.given([groupCreated()]).when(createGroup(bob, [alice])).then(rejectedWith('conflict', ErrorMessage.ConversationIdConflict));
    });

    it('refuses an id a direct conversation uses', () => {
      spec
        .given([directCreated(alice, bob)])
        .when(createGroup(alice, [bob], { conversationId: direct }))
        .then(rejectedWith('conflict', ErrorMessage.ConversationIdConflict));
    });

    it('refuses a creator other than the caller', () => {
      spec.given([]).when(createGroup(alice, [bob], { by: bob })).then(rejectedWith('forbidden', ErrorMessage.ActingForAnotherUser));
    });
  });

  describe('SendMessage', () => {
    const created = [directCreated(alice, bob)];

    it('records a text message at the decision time', () => {
      spec
        .given(created)
        .when(send(alice, direct, mid(1), { text: 'Hello, how are you?' }))
        .then([sent(direct, mid(1), alice, { text: 'Hello, how are you?' })], { conversationId: direct, messageId: mid(1) });
    });

    it('records media with an optional caption; the type is that of one of the items', () => {
      spec
        .given(created)
        .when(send(alice, direct, mid(1), { text: 'Check this out!', media: [image()], messageType: 'image' }))
        .then([sent(direct, mid(1), alice, { text: 'Check this out!', media: [image()], messageType: 'image' })]);
      spec
        .given(created)
        .when(send(alice, direct, mid(1), { text: null, media: [image(), file], messageType: 'file' }))
        .then([sent(direct, mid(1), alice, { text: null, media: [image(), file], messageType: 'file' })]);
    });

    it('stores a blank caption as no text', () => {
      spec
        .given(created)
        .when(send(alice, direct, mid(1), { text: '  \n', media: [image()], messageType: 'image' }))
        .then([sent(direct, mid(1), alice, { text: null, media: [image()], messageType: 'image' })]);
    });

    it('sends in a group, from any member', () => {
      spec.given([groupCreated()]).when(send(carol, group, mid(1))).then([sent(group, mid(1), carol)]);
    });

    describe('each check, with its message', () => {
      it('unknown conversation', () => {
        spec.given([]).when(send(alice, direct, mid(1))).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
      });

      it('unknown conversation, on a stream holding only blocks', () => {
        spec
          .given([blocked(alice, bob)])
          .when(send(alice, direct, mid(1)))
          .then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
      });

      it('caller not a participant', () => {
        spec.given(created).when(send(carol, direct, mid(1))).then(rejectedWith('forbidden', ErrorMessage.NotAuthorizedToSend));
      });

      it('caller sending as someone else', () => {
        const forged = send(carol, direct, mid(1), { senderId: alice });
        spec.given(created).when(forged).then(rejectedWith('forbidden', ErrorMessage.NotAuthorizedToSend));
      });

      it('caller removed from the group', () => {
        spec
          .given([groupCreated(), participantRemoved(carol)])
          .when(send(carol, group, mid(1)))
          .then(rejectedWith('forbidden', ErrorMessage.NotAuthorizedToSend));
      });

      it('caller has blocked the other participant', () => {
        spec
          .given([...created, blocked(alice, bob)])
          .when(send(alice, direct, mid(1)))
          .then(rejectedWith('forbidden', ErrorMessage.SenderBlockedRecipient));
      });

      it('the other participant has blocked the caller', () => {
        spec
          .given([...created, blocked(bob, alice)])
          .when(send(alice, direct, mid(1)))
          .then(rejectedWith('forbidden', ErrorMessage.ActionNotAvailable));
      });

      it('audio message type', () => {
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { text: 'listen', messageType: 'audio' }))
          .then(rejectedWith('invalid', ErrorMessage.AudioNotAllowed));
      });

      it('audio media item', () => {
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { media: [image(), audio], messageType: 'image' }))
          .then(rejectedWith('invalid', ErrorMessage.AudioNotAllowed));
      });

      it.each([
        ['null', null],
        ['empty', ''],
        ['whitespace only', ' \t\n '],
      ])('no media and %s text', (_label, text) => {
        spec.given(created).when(send(alice, direct, mid(1), { text })).then(rejectedWith('invalid', ErrorMessage.MessageEmpty));
      });

      it(`text over ${MESSAGE_TEXT_MAX_CHARS} characters, and not at it`, () => {
        const longest = 'x'.repeat(MESSAGE_TEXT_MAX_CHARS);
        spec.given(created).when(send(alice, direct, mid(1), { text: longest })).then([sent(direct, mid(1), alice, { text: longest })]);
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { text: `${longest}x` }))
          .then(rejectedWith('invalid', ErrorMessage.MessageTextTooLong));
      });

      it(`more than ${MESSAGE_MEDIA_MAX} media, and not at it`, () => {
        const most = Array.from({ length: MESSAGE_MEDIA_MAX }, (_, n) => image(n));
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { media: most, messageType: 'image' }))
          .then([sent(direct, mid(1), alice, { media: most, messageType: 'image' })]);
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { media: [...most, image(99)], messageType: 'image' }))
          .then(rejectedWith('invalid', ErrorMessage.TooManyMedia));
      });

      it.each([
        ['a media type without media', { media: [], messageType: 'image' as const }],
        ['text with media', { media: [image()], messageType: 'text' as const }],
        ['a type none of the media has', { media: [image(), file], messageType: 'video' as const }],
      ])('message type not matching the content: %s', (_label, content) => {
        spec.given(created).when(send(alice, direct, mid(1), content)).then(rejectedWith('invalid', ErrorMessage.MessageTypeMismatch));
      });

      it('media at a url the system did not issue, even beside issued ones', () => {
        const foreign: StoredMediaItem = { url: 'https://elsewhere.example.com/1.jpg', type: 'image', filename: null, size: null };
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { media: [image(), foreign], messageType: 'image' }))
          .then(rejectedWith('invalid', ErrorMessage.MediaUrlNotIssued));
      });

      it.each([
        ['not an ObjectId', 'not-an-id'],
        ['empty', ''],
        ['no message of this conversation', mid(404)],
      ])('reply target %s', (_label, replyTo) => {
        spec
          .given([...created, sent(direct, mid(1), bob)])
          .when(send(alice, direct, mid(2), { replyTo }))
          .then(rejectedWith('invalid', ErrorMessage.ReplyTargetNotFound));
      });

      it('reply target in another conversation', () => {
        // Only this stream's messages are known here, so a message elsewhere is not found by construction.
        spec
          .given([...created, sent(direct, mid(2), bob)])
          .when(send(alice, direct, mid(3), { replyTo: mid(1) }))
          .then(rejectedWith('invalid', ErrorMessage.ReplyTargetNotFound));
      });
    });

    it('replies to a message of the conversation, its id normalised, deleted or not', () => {
      const history = [...created, sent(direct, mid(1), bob), messageDeleted(direct, mid(1), bob), sent(direct, mid(2), bob)];
      spec
        .given(history)
        .when(send(alice, direct, mid(3), { replyTo: mid(2).toUpperCase() }))
        .then([sent(direct, mid(3), alice, { replyTo: mid(2) })]);
      spec
        .given(history)
        .when(send(alice, direct, mid(3), { replyTo: mid(1) }))
        .then([sent(direct, mid(3), alice, { replyTo: mid(1) })]);
    });

    describe('the order of checks', () => {
      it('a non-participant sending audio hears that they may not send', () => {
        spec
          .given(created)
          .when(send(carol, direct, mid(1), { messageType: 'audio', media: [audio] }))
          .then(rejectedWith('forbidden', ErrorMessage.NotAuthorizedToSend));
      });

      it('a non-participant on an unknown conversation hears that it does not exist', () => {
        spec.given([]).when(send(carol, direct, mid(1), { text: null })).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
      });

      it('a blocked sender with empty text hears about the block', () => {
        spec
          .given([...created, blocked(alice, bob)])
          .when(send(alice, direct, mid(1), { text: null }))
          .then(rejectedWith('forbidden', ErrorMessage.SenderBlockedRecipient));
        spec
          .given([...created, blocked(bob, alice)])
          .when(send(alice, direct, mid(1), { text: '' }))
          .then(rejectedWith('forbidden', ErrorMessage.ActionNotAvailable));
      });

      it('blocks both ways: the caller’s own block is named first', () => {
        spec
          .given([...created, blocked(bob, alice), blocked(alice, bob)])
          .when(send(alice, direct, mid(1)))
          .then(rejectedWith('forbidden', ErrorMessage.SenderBlockedRecipient));
      });

      it('a non-participant is refused before any block is looked at', () => {
        spec
          .given([...created, blocked(alice, bob), blocked(bob, alice)])
          .when(send(carol, direct, mid(1)))
          .then(rejectedWith('forbidden', ErrorMessage.NotAuthorizedToSend));
      });

      it('blocked and audio: the block', () => {
        spec
          .given([...created, blocked(bob, alice)])
          .when(send(alice, direct, mid(1), { messageType: 'audio' }))
          .then(rejectedWith('forbidden', ErrorMessage.ActionNotAvailable));
      });

      it('audio before empty, too long, too many media, mismatch and reply target', () => {
        const everythingWrong = {
          text: 'x'.repeat(MESSAGE_TEXT_MAX_CHARS + 1),
          media: [...Array.from({ length: MESSAGE_MEDIA_MAX }, (_, n) => image(n)), audio],
          messageType: 'video' as const,
          replyTo: 'nope',
        };
        spec.given(created).when(send(alice, direct, mid(1), everythingWrong)).then(rejectedWith('invalid', ErrorMessage.AudioNotAllowed));
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { text: null, messageType: 'audio', replyTo: 'nope' }))
          .then(rejectedWith('invalid', ErrorMessage.AudioNotAllowed));
      });

      it('empty before mismatch and reply target', () => {
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { text: ' ', messageType: 'image', replyTo: 'nope' }))
          .then(rejectedWith('invalid', ErrorMessage.MessageEmpty));
      });

      it('too long before too many media, mismatch and reply target', () => {
        spec
          .given(created)
          .when(
            send(alice, direct, mid(1), {
              text: 'x'.repeat(MESSAGE_TEXT_MAX_CHARS + 1),
              media: Array.from({ length: MESSAGE_MEDIA_MAX + 1 }, (_, n) => image(n)),
              messageType: 'video',
              replyTo: 'nope',
            }),
          )
          .then(rejectedWith('invalid', ErrorMessage.MessageTextTooLong));
      });

      it('too many media before mismatch and reply target', () => {
        spec
          .given(created)
          .when(
            send(alice, direct, mid(1), {
              media: Array.from({ length: MESSAGE_MEDIA_MAX + 1 }, (_, n) => image(n)),
              messageType: 'video',
              replyTo: 'nope',
            }),
          )
          .then(rejectedWith('invalid', ErrorMessage.TooManyMedia));
      });

      it('mismatch before reply target', () => {
        spec
          .given(created)
          .when(send(alice, direct, mid(1), { messageType: 'file', replyTo: 'nope' }))
          .then(rejectedWith('invalid', ErrorMessage.MessageTypeMismatch));
      });
    });

    describe('repeats', () => {
      it('answers a redelivered command (same message id) as a duplicate, with nothing new', () => {
        spec
          .given([...created, sent(direct, mid(1), alice)])
          .when(send(alice, direct, mid(1)))
          .then([], { conversationId: direct, messageId: mid(1), duplicate: true });
      });

      it('answers a redelivery as a duplicate even after the sender was blocked: the original went through', () => {
        spec
          .given([...created, sent(direct, mid(1), alice), blocked(bob, alice)])
          .when(send(alice, direct, mid(1)))
          .then([], { conversationId: direct, messageId: mid(1), duplicate: true });
      });

      it('answers a retry with a used clientMessageId with the first message id', () => {
        spec
          .given([...created, sent(direct, mid(1), alice, { clientMessageId: 'c-1' }), sent(direct, mid(2), bob)])
          .when(send(alice, direct, mid(3), { clientMessageId: 'c-1', text: 'hello again' }))
          .then([], { conversationId: direct, messageId: mid(1), duplicate: true });
      });

      it('keeps clientMessageIds per sender: the same one from someone else is a new message', () => {
        spec
          .given([...created, sent(direct, mid(1), alice, { clientMessageId: 'c-1' })])
          .when(send(bob, direct, mid(2), { clientMessageId: 'c-1' }))
          .then([sent(direct, mid(2), bob, { clientMessageId: 'c-1' })]);
      });

      it('answers the first id even when the first message has since been deleted', () => {
        spec
          .given([...created, sent(direct, mid(1), alice, { clientMessageId: 'c-1' }), messageDeleted(direct, mid(1), alice)])
          .when(send(alice, direct, mid(2), { clientMessageId: 'c-1' }))
          .then([], { conversationId: direct, messageId: mid(1), duplicate: true });
      });

      it('refuses a message id someone else’s message already has', () => {
        spec
          .given([...created, sent(direct, mid(1), bob)])
          .when(send(alice, direct, mid(1)))
          .then(rejectedWith('conflict', ErrorMessage.MessageIdConflict));
      });
    });

    it('sends again once the block is lifted', () => {
      spec
        .given([...created, blocked(alice, bob), blocked(bob, alice), unblocked(alice, bob), unblocked(bob, alice)])
        .when(send(alice, direct, mid(1)))
        .then([sent(direct, mid(1), alice)]);
    });
  });

  describe('DeleteMessage', () => {
    const history = [directCreated(alice, bob), sent(direct, mid(1), alice), sent(direct, mid(2), bob)];

    it('soft-deletes the sender’s own message', () => {
      spec
        .given(history)
        .when(deleteMessage(alice, direct, mid(1)))
        .then([messageDeleted(direct, mid(1), alice)], { conversationId: direct, messageId: mid(1) });
    });

    it('accepts deleting a deleted message again, with nothing new', () => {
      spec.given([...history, messageDeleted(direct, mid(1), alice)]).when(deleteMessage(alice, direct, mid(1))).then([]);
    });

    it('unknown conversation', () => {
      spec.given([]).when(deleteMessage(alice, direct, mid(1))).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
    });

    it('message not in this conversation', () => {
      spec.given(history).when(deleteMessage(alice, direct, mid(9))).then(rejectedWith('not_found', ErrorMessage.MessageNotFound));
    });

    it('someone else’s message, deleted or not', () => {
      spec.given(history).when(deleteMessage(alice, direct, mid(2))).then(rejectedWith('forbidden', ErrorMessage.NotMessageSender));
      spec
        .given([...history, messageDeleted(direct, mid(2), bob)])
        .when(deleteMessage(alice, direct, mid(2)))
        .then(rejectedWith('forbidden', ErrorMessage.NotMessageSender));
    });
  });

  describe('MarkMessagesRead', () => {
    const history = [
      directCreated(alice, bob),
      sent(direct, mid(1), alice),
      sent(direct, mid(2), bob),
      sent(direct, mid(3), alice),
      sent(direct, mid(4), alice),
    ];

    it('marks every unread message from others when no ids are given', () => {
      spec
        .given(history)
        .when(markRead(bob, direct, []))
        .then([messagesRead(direct, bob, [mid(1), mid(3), mid(4)])], { conversationId: direct });
    });

    it('marks the named messages, listing exactly those that changed, in conversation order', () => {
      spec
        .given([...history, messagesRead(direct, bob, [mid(3)])])
        .when(markRead(bob, direct, [mid(4), mid(3), mid(2), mid(1), mid(4), mid(99), 'garbage', '']))
        .then([messagesRead(direct, bob, [mid(1), mid(4)])]);
    });

    it('reads ids in any case', () => {
      spec.given(history).when(markRead(bob, direct, [mid(1).toUpperCase()])).then([messagesRead(direct, bob, [mid(1)])]);
    });

    it('skips deleted messages', () => {
      const withDeletion = [...history, messageDeleted(direct, mid(3), alice)];
      spec.given(withDeletion).when(markRead(bob, direct, [])).then([messagesRead(direct, bob, [mid(1), mid(4)])]);
      spec.given(withDeletion).when(markRead(bob, direct, [mid(3)])).then([]);
    });

    it('records nothing when nothing changes', () => {
      spec.given([...history, messagesRead(direct, bob, [mid(1), mid(3), mid(4)])]).when(markRead(bob, direct, [])).then([]);
      spec.given(history).when(markRead(alice, direct, [mid(1), mid(3)])).then([]);
      spec.given([directCreated(alice, bob)]).when(markRead(alice, direct, [])).then([]);
    });

    it('after reading some one by one, "all" lists only the rest', () => {
      spec
        .given([...history, messagesRead(direct, bob, [mid(3)])])
        .when(markRead(bob, direct, []))
        .then([messagesRead(direct, bob, [mid(1), mid(4)])]);
    });

    it('counts messages that arrive after a read-all', () => {
      spec
        .given([...history, messagesRead(direct, bob, [mid(1), mid(3), mid(4)]), sent(direct, mid(5), bob), sent(direct, mid(6), alice)])
        .when(markRead(bob, direct, []))
        .then([messagesRead(direct, bob, [mid(6)])]);
    });

    it('keeps who read what per user in a group', () => {
      const groupHistory = [groupCreated([alice, bob, carol]), sent(group, mid(1), alice), sent(group, mid(2), bob)];
      spec.given(groupHistory).when(markRead(bob, group, [mid(1)])).then([messagesRead(group, bob, [mid(1)])]);
      const afterBob = [...groupHistory, messagesRead(group, bob, [mid(1)])];
      spec.given(afterBob).when(markRead(carol, group, [mid(1)])).then([messagesRead(group, carol, [mid(1)])]);
      const afterBoth = [...afterBob, messagesRead(group, carol, [mid(1)])];
      spec.given(afterBoth).when(markRead(bob, group, [mid(1)])).then([]);
      spec.given(afterBoth).when(markRead(bob, group, [])).then([]);
      spec.given(afterBoth).when(markRead(carol, group, [])).then([messagesRead(group, carol, [mid(2)])]);
      spec.given(afterBoth).when(markRead(alice, group, [])).then([messagesRead(group, alice, [mid(2)])]);
    });

    it('lets a member added later read the history', () => {
      spec
        .given([groupCreated([alice, bob]), sent(group, mid(1), alice), sent(group, mid(2), bob), participantsAdded([carol])])
        .when(markRead(carol, group, []))
        .then([messagesRead(group, carol, [mid(1), mid(2)])]);
    });

    it(`accepts ${READ_BATCH_MAX} ids`, () => {
      const ids = Array.from({ length: READ_BATCH_MAX }, (_, n) => mid(1000 + n));
      spec.given(history).when(markRead(bob, direct, [...ids.slice(1), mid(1)])).then([messagesRead(direct, bob, [mid(1)])]);
    });

    it('unknown conversation', () => {
      spec.given([]).when(markRead(bob, direct, [])).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
    });

    it('reading for someone else', () => {
      spec.given(history).when(markRead(bob, direct, [], alice)).then(rejectedWith('forbidden', ErrorMessage.ActingForAnotherUser));
    });

    it('not a participant', () => {
      spec.given(history).when(markRead(carol, direct, [])).then(rejectedWith('forbidden', ErrorMessage.NotAParticipant));
    });

    it(`more than ${READ_BATCH_MAX} ids, checked after membership`, () => {
      const ids = Array.from({ length: READ_BATCH_MAX + 1 }, (_, n) => mid(n));
      spec.given(history).when(markRead(bob, direct, ids)).then(rejectedWith('invalid', ErrorMessage.TooManyMessageIds));
      spec.given(history).when(markRead(carol, direct, ids)).then(rejectedWith('forbidden', ErrorMessage.NotAParticipant));
    });
  });

  describe('MarkMessageDelivered', () => {
    const history = [groupCreated([alice, bob, carol]), sent(group, mid(1), alice), sent(group, mid(2), bob), sent(group, mid(3), alice)];

    it('marks messages from others as delivered, in conversation order', () => {
      spec
        .given(history)
        .when(markDelivered(bob, group, [mid(3), mid(2), mid(1), mid(3), mid(99)]))
        .then([messageDelivered(group, bob, [mid(1), mid(3)])], { conversationId: group });
    });

    it('delivers a message once: a second recipient changes nothing', () => {
      const afterBob = [...history, messageDelivered(group, bob, [mid(1)])];
      spec.given(afterBob).when(markDelivered(carol, group, [mid(1)])).then([]);
      spec.given(afterBob).when(markDelivered(carol, group, [mid(1), mid(2), mid(3)])).then([messageDelivered(group, carol, [mid(2), mid(3)])]);
    });

    it('skips deleted messages', () => {
      spec.given([...history, messageDeleted(group, mid(1), alice)]).when(markDelivered(bob, group, [mid(1)])).then([]);
    });

    it('records nothing for the recipient’s own messages', () => {
      spec.given(history).when(markDelivered(alice, group, [mid(1), mid(3)])).then([]);
    });

    it('unknown conversation', () => {
      spec.given([]).when(markDelivered(bob, group, [mid(1)])).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
    });

    it('recipient not a participant', () => {
      spec.given(history).when(markDelivered(dave, group, [mid(1)])).then(rejectedWith('forbidden', ErrorMessage.NotAParticipant));
    });
  });

  describe('AddParticipants', () => {
    it('adds only those who are not members yet, once each', () => {
      spec
        .given([groupCreated([alice, bob])])
        .when(addParticipants(alice, [bob, carol, dave, carol]))
        .then([participantsAdded([carol, dave])], { conversationId: group });
    });

    it('accepts adding members again, with nothing new', () => {
      spec.given([groupCreated([alice, bob])]).when(addParticipants(alice, [alice, bob])).then([]);
    });

    it('lets the added member send', () => {
      spec.given([groupCreated([alice, bob]), participantsAdded([carol])]).when(send(carol, group, mid(1))).then([sent(group, mid(1), carol)]);
    });

    it('unknown conversation', () => {
      spec.given([]).when(addParticipants(alice, [bob])).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
    });

    it('not a group', () => {
      spec.given([directCreated(alice, bob)]).when(addParticipants(alice, [carol], direct)).then(rejectedWith('invalid', ErrorMessage.NotAGroup));
      spec.given([directCreated(alice, bob)]).when(addParticipants(carol, [dave], direct)).then(rejectedWith('forbidden', ErrorMessage.NotAParticipant));
    });

    it('caller not an admin, member or not', () => {
      spec.given([groupCreated()]).when(addParticipants(bob, [dave])).then(rejectedWith('forbidden', ErrorMessage.NotGroupAdmin));
      spec.given([groupCreated()]).when(addParticipants(dave, [dave])).then(rejectedWith('forbidden', ErrorMessage.NotGroupAdmin));
    });
  });

  describe('RemoveParticipant', () => {
    it('lets an admin remove a member', () => {
      spec.given([groupCreated()]).when(removeParticipant(alice, bob)).then([participantRemoved(bob, alice)], { conversationId: group });
    });

    it('lets a member leave', () => {
      spec.given([groupCreated()]).when(removeParticipant(bob, bob)).then([participantRemoved(bob, bob)]);
    });

    it('takes the admin role with the membership', () => {
      const adminRemoved = [groupCreated([alice, bob, carol], { admins: [alice, bob] }), participantRemoved(bob, alice)];
      spec.given(adminRemoved).when(addParticipants(bob, [dave])).then(rejectedWith('forbidden', ErrorMessage.NotGroupAdmin));
      spec
        .given([...adminRemoved, participantsAdded([bob])])
        .when(addParticipants(bob, [dave]))
        .then(rejectedWith('forbidden', ErrorMessage.NotGroupAdmin));
    });

    it('leaves a group without admins when the last one leaves: members carry on, nobody manages members', () => {
      const adminless = [groupCreated(), participantRemoved(alice, alice)];
      spec.given(adminless).when(send(bob, group, mid(1))).then([sent(group, mid(1), bob)]);
      spec.given(adminless).when(setPhoto(bob, photo)).then([photoUpdated(photo, bob)]);
      spec.given(adminless).when(removeParticipant(bob, bob)).then([participantRemoved(bob, bob)]);
      spec.given(adminless).when(addParticipants(bob, [dave])).then(rejectedWith('forbidden', ErrorMessage.NotGroupAdmin));
      spec.given(adminless).when(removeParticipant(bob, carol)).then(rejectedWith('forbidden', ErrorMessage.NotGroupAdmin));
    });

    it('unknown conversation', () => {
      spec.given([]).when(removeParticipant(alice, bob)).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
    });

    it('not a group', () => {
      spec.given([directCreated(alice, bob)]).when(removeParticipant(alice, bob, direct)).then(rejectedWith('invalid', ErrorMessage.NotAGroup));
      spec.given([directCreated(alice, bob)]).when(removeParticipant(carol, bob, direct)).then(rejectedWith('forbidden', ErrorMessage.NotAParticipant));
    });

    it('a member removing someone else', () => {
      spec.given([groupCreated()]).when(removeParticipant(bob, carol)).then(rejectedWith('forbidden', ErrorMessage.NotGroupAdmin));
    });

    it('a target who is not a member', () => {
      spec.given([groupCreated()]).when(removeParticipant(alice, dave)).then(rejectedWith('not_found', ErrorMessage.NotAParticipant));
      spec
        .given([groupCreated(), participantRemoved(bob, bob)])
        .when(removeParticipant(bob, bob))
        .then(rejectedWith('not_found', ErrorMessage.NotAParticipant));
    });
  });

  describe('SetGroupPhoto and RemoveGroupPhoto', () => {
    it('lets any member set the photo', () => {
      spec.given([groupCreated()]).when(setPhoto(carol, photo)).then([photoUpdated(photo, carol)], { conversationId: group });
    });

    it('accepts the same photo again, with nothing new', () => {
      spec.given([groupCreated(), photoUpdated(photo)]).when(setPhoto(bob, photo)).then([]);
    });

    it('lets any member remove the photo', () => {
      spec.given([groupCreated(), photoUpdated(photo)]).when(removePhoto(bob)).then([photoRemoved(bob)], { conversationId: group });
    });

    it('accepts removing a photo that is not there, with nothing new', () => {
      spec.given([groupCreated()]).when(removePhoto(bob)).then([]);
      spec.given([groupCreated(), photoUpdated(photo), photoRemoved()]).when(removePhoto(bob)).then([]);
    });

    it('unknown conversation', () => {
      spec.given([]).when(setPhoto(alice, photo)).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
      spec.given([]).when(removePhoto(alice)).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
    });

    it('not a group', () => {
      spec.given([directCreated(alice, bob)]).when(setPhoto(alice, photo, direct)).then(rejectedWith('invalid', ErrorMessage.NotAGroup));
      spec.given([directCreated(alice, bob)]).when(removePhoto(alice, direct)).then(rejectedWith('invalid', ErrorMessage.NotAGroup));
    });

    it('caller not a participant', () => {
      spec.given([groupCreated()]).when(setPhoto(dave, photo)).then(rejectedWith('forbidden', ErrorMessage.NotAParticipant));
      spec.given([groupCreated(), photoUpdated(photo)]).when(removePhoto(dave)).then(rejectedWith('forbidden', ErrorMessage.NotAParticipant));
    });

    it('a photo at a url the system did not issue', () => {
      spec.given([groupCreated()]).when(setPhoto(bob, 'https://elsewhere.example.com/g.jpg')).then(rejectedWith('invalid', ErrorMessage.MediaUrlNotIssued));
    });
  });

  describe('BlockUser and UnblockUser', () => {
    it('blocks between users who never talked', () => {
      spec.given([]).when(block(alice, bob)).then([blocked(alice, bob)], { conversationId: direct });
    });

    it('blocks in an existing conversation, each side on its own', () => {
      spec.given([directCreated(alice, bob)]).when(block(alice, bob)).then([blocked(alice, bob)]);
      spec.given([directCreated(alice, bob), blocked(alice, bob)]).when(block(bob, alice)).then([blocked(bob, alice)]);
    });

    it('accepts blocking again, with nothing new', () => {
      spec.given([blocked(alice, bob)]).when(block(alice, bob)).then([], { conversationId: direct });
    });

    it('unblocks', () => {
      spec.given([blocked(alice, bob)]).when(unblock(alice, bob)).then([unblocked(alice, bob)], { conversationId: direct });
    });

    it('accepts unblocking someone not blocked, with nothing new', () => {
      spec.given([]).when(unblock(alice, bob)).then([]);
      spec.given([blocked(bob, alice)]).when(unblock(alice, bob)).then([]);
      spec.given([blocked(alice, bob), unblocked(alice, bob)]).when(unblock(alice, bob)).then([]);
    });

    it('refuses blocking or unblocking for someone else', () => {
      spec.given([]).when(block(alice, bob, { by: bob })).then(rejectedWith('forbidden', ErrorMessage.ActingForAnotherUser));
      spec.given([blocked(alice, bob)]).when(unblock(alice, bob, { by: bob })).then(rejectedWith('forbidden', ErrorMessage.ActingForAnotherUser));
    });

    it('refuses blocking oneself', () => {
      spec.given([]).when(block(alice, alice)).then(rejectedWith('invalid', ErrorMessage.CannotBlockSelf));
      spec.given([]).when(unblock(alice, alice)).then(rejectedWith('invalid', ErrorMessage.CannotBlockSelf));
    });

    it('refuses a stream that is not the pair’s direct conversation', () => {
      spec.given([]).when(block(alice, bob, { conversationId: group })).then(rejectedWith('invalid', ErrorMessage.InvalidPayload));
      spec.given([]).when(unblock(alice, bob, { conversationId: group })).then(rejectedWith('invalid', ErrorMessage.InvalidPayload));
    });

    it('a block decided before the conversation exists applies once it does', () => {
      spec
        .given([blocked(alice, bob), directCreated(bob, alice)])
        .when(send(alice, direct, mid(1)))
        .then(rejectedWith('forbidden', ErrorMessage.SenderBlockedRecipient));
      spec
        .given([blocked(alice, bob), directCreated(bob, alice)])
        .when(send(bob, direct, mid(1)))
        .then(rejectedWith('forbidden', ErrorMessage.ActionNotAvailable));
    });

    it('unblock, then send, works', () => {
      spec
        .given([blocked(alice, bob), directCreated(bob, alice), unblocked(alice, bob)])
        .when(send(alice, direct, mid(1)))
        .then([sent(direct, mid(1), alice)]);
    });

    it('blocks do not stop reading, deleting or delivering', () => {
      const history = [directCreated(alice, bob), sent(direct, mid(1), alice), sent(direct, mid(2), bob), blocked(bob, alice)];
      spec.given(history).when(markRead(alice, direct, [])).then([messagesRead(direct, alice, [mid(2)])]);
      spec.given(history).when(deleteMessage(alice, direct, mid(1))).then([messageDeleted(direct, mid(1), alice)]);
      spec.given(history).when(markDelivered(alice, direct, [mid(2)])).then([messageDelivered(direct, alice, [mid(2)])]);
    });
  });

  describe('a stream that is no conversation yet', () => {
    const commands: [string, ConversationCommand][] = [
      ['SendMessage', send(alice, direct, mid(1))],
      ['DeleteMessage', deleteMessage(alice, direct, mid(1))],
      ['MarkMessagesRead', markRead(alice, direct, [])],
      ['MarkMessageDelivered', markDelivered(alice, direct, [mid(1)])],
      ['AddParticipants', addParticipants(dave, [dave], direct)],
      ['RemoveParticipant', removeParticipant(dave, alice, direct)],
      ['SetGroupPhoto', setPhoto(dave, photo, direct)],
      ['RemoveGroupPhoto', removePhoto(dave, direct)],
    ];

    it.each(commands)('answers %s with "Conversation not found", whoever asks, blocks or not', (_type, command) => {
      spec.given([]).when(command).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
      spec.given([blocked(alice, bob), blocked(bob, alice)]).when(command).then(rejectedWith('not_found', ErrorMessage.ConversationNotFound));
    });
  });

  it('stamps creation and sending with the decision time, not the clock', () => {
    const decision = spec.given([directCreated(alice, bob)]).when(send(alice, direct, mid(1))).decision();
    expect(decision.kind === 'accepted' && decision.events[0]?.type === 'MessageSent' && decision.events[0].data.sentAt).toBe(SENT_AT);
  });
});
