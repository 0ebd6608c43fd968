import { conversationDecider, type ConversationCommand, type ConversationEvent } from './conversation.decider';
import { CONVERSATION_SNAPSHOT_VERSION, deserializeConversationState, serializeConversationState } from './conversation.snapshot';
import {
  addParticipants,
  alice,
  blocked,
  bob,
  carol,
  createDirect,
  dave,
  deleteMessage,
  direct,
  directCreated,
  fold,
  group,
  groupCreated,
  markDelivered,
  markRead,
  messageDeleted,
  messageDelivered,
  messagesRead,
  mid,
  CONTEXT,
  participantRemoved,
  participantsAdded,
  photoUpdated,
  removeParticipant,
  removePhoto,
  send,
  sent,
  unblock,
  unblocked,
} from './testing/conversation-fixtures';

/** Through JSON text, as a snapshot store would keep it. */
const roundTrip = (events: readonly ConversationEvent[]) =>
  deserializeConversationState(JSON.parse(JSON.stringify(serializeConversationState(fold(events)))) as unknown);

const directHistory: ConversationEvent[] = [
  blocked(bob, alice),
  unblocked(bob, alice),
  blocked(alice, bob),
  directCreated(alice, bob),
  sent(direct, mid(1), alice, { clientMessageId: 'c-1' }),
  sent(direct, mid(2), bob),
  sent(direct, mid(3), alice, { clientMessageId: 'c-2' }),
  sent(direct, mid(4), bob),
  messageDelivered(direct, bob, [mid(1)]),
  messagesRead(direct, bob, [mid(3)]),
  messageDeleted(direct, mid(4), bob),
];

/** A group where members came and went, with reads spread unevenly among them. */
function groupHistory(length: number): ConversationEvent[] {
  const members = [alice, bob, carol];
  const events: ConversationEvent[] = [groupCreated(members, { admins: [alice, bob] }), photoUpdated('https://cdn.example.com/g.jpg')];
  for (let n = 0; n < length; n += 1) {
    const sender = members[n % 3] ?? alice;
    events.push(sent(group, mid(n), sender, n % 7 === 0 ? { clientMessageId: `c-${n}` } : {}));
    if (n % 11 === 0) events.push(messageDelivered(group, members[(n + 1) % 3] ?? bob, [mid(n)]));
    if (n % 13 === 0 && sender !== alice) events.push(messageDeleted(group, mid(n), sender));
    if (n % 500 === 499) events.push(messagesRead(group, carol, [mid(n - 1), mid(n - 250)]));
    if (n === Math.floor(length / 2)) events.push(participantRemoved(bob, alice), participantsAdded([dave]));
  }
  events.push(messagesRead(group, alice, [mid(Math.floor(length / 3))]));
  return events;
}

/** A battery of commands whose decisions must not tell a restored state from a folded one. */
function probes(length: number): ConversationCommand[] {
  return [
    send(alice, group, mid(length), { replyTo: mid(3) }),
    send(bob, group, mid(length)),
    send(alice, group, mid(length + 1), { clientMessageId: 'c-21' }),
    send(carol, group, mid(1)),
    deleteMessage(alice, group, mid(0)),
    deleteMessage(bob, group, mid(1)),
    markRead(alice, group, []),
    markRead(carol, group, []),
    markRead(dave, group, []),
    markRead(carol, group, [mid(1), mid(2), mid(3), mid(length - 2)]),
    markDelivered(dave, group, [mid(0), mid(11), mid(12), mid(13)]),
    addParticipants(bob, [bob]),
    removeParticipant(alice, dave),
    removePhoto(carol),
    send(alice, direct, mid(9)),
    send(bob, direct, mid(9)),
    markRead(alice, direct, []),
    markRead(bob, direct, []),
    markDelivered(alice, direct, [mid(2), mid(4)]),
    createDirect(bob, alice),
    unblock(alice, bob),
  ];
}

describe('conversation snapshots', () => {
  it.each([
    ['a stream with blocks only', [blocked(alice, bob)]],
    ['a direct conversation', directHistory],
    ['a group', groupHistory(40)],
  ])('restore %s exactly', (_label, events) => {
    expect(roundTrip(events)).toEqual(fold(events));
    expect(serializeConversationState(roundTrip(events))).toEqual(serializeConversationState(fold(events)));
  });

  it('restore a large-ish conversation to a state that decides and evolves as the folded one does', () => {
    const length = 20_000;
    const events = groupHistory(length);
    const restored = roundTrip(events);
    const folded = fold(events);
    const restoredDirect = roundTrip(directHistory);
    const foldedDirect = fold(directHistory);
    for (const command of probes(length)) {
      const [onRestored, onFolded] =
        command.data.conversationId === group ? [restored, folded] : [restoredDirect, foldedDirect];
      expect(conversationDecider.decide(command, onRestored, CONTEXT)).toEqual(conversationDecider.decide(command, onFolded, CONTEXT));
    }

    const more: ConversationEvent[] = [
      sent(group, mid(length), carol),
      messageDeleted(group, mid(length - 2), alice),
      messagesRead(group, dave, [mid(length)]),
      messagesRead(group, carol, [mid(0), mid(length - 1)]),
    ];
    const continued = more.reduce(conversationDecider.evolve, restored);
    expect(serializeConversationState(continued)).toEqual(serializeConversationState(fold([...events, ...more])));
  });

  it('stays compact: ids, small integers, and nothing per message beyond them', () => {
    const length = 20_000;
    const json = JSON.stringify(serializeConversationState(fold(groupHistory(length))));
    // A message id is 26 characters in JSON; sender and flags add a few more.
    expect(json.length / length).toBeLessThan(40);
  });

  it('is plain data', () => {
    const snapshot = serializeConversationState(fold(directHistory));
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot).toMatchObject({ v: CONVERSATION_SNAPSHOT_VERSION, status: 'direct', blockers: [alice] });
  });

  it.each([
    ['not an object', 'snapshot'],
    ['another version', { v: 99, status: 'not_created', blockers: [] }],
    ['an unknown status', { v: CONVERSATION_SNAPSHOT_VERSION, status: 'archived', blockers: [] }],
    ['a conversation without messages', { v: CONVERSATION_SNAPSHOT_VERSION, status: 'direct', blockers: [], conversation: {} }],
  ])('refuses %s', (_label, json) => {
    expect(() => deserializeConversationState(json)).toThrow(/snapshot/);
  });

  it('refuses a snapshot that contradicts itself', () => {
    const snapshot = JSON.parse(JSON.stringify(serializeConversationState(fold(directHistory)))) as {
      conversation: { messages: { senders: number[]; cursors: unknown[] } };
    };
    const badSender = structuredClone(snapshot);
    badSender.conversation.messages.senders[0] = 42;
    expect(() => deserializeConversationState(badSender)).toThrow(/sender/);
    const badCursor = structuredClone(snapshot);
    badCursor.conversation.messages.cursors.push([0, 1, []]);
    expect(() => deserializeConversationState(badCursor)).toThrow(/cursor/);
  });
});
