import { conversationDecider, type ConversationCommand, type ConversationEvent, type ConversationState } from './conversation.decider';
import {
  alice,
  bob,
  deleteMessage,
  direct,
  directCreated,
  fold,
  markDelivered,
  markRead,
  messageDeleted,
  messagesRead,
  mid,
  CONTEXT,
  send,
  sent,
} from './testing/conversation-fixtures';

/**
 * The shape of the work on a long conversation, without timing anything: deciding reads
 * message entries through counting proxies, so a decision that walked the conversation would
 * show up as 100,000 reads instead of a handful. Speed itself is benchmarked elsewhere.
 */

const LENGTH = 100_000;

/** alice and bob take turns in runs of three; bob has read everything up to the end. */
function longConversation(): ConversationEvent[] {
  const events: ConversationEvent[] = [directCreated(alice, bob)];
  const fromAlice: string[] = [];
  for (let n = 0; n < LENGTH; n += 1) {
    const sender = Math.floor(n / 3) % 2 === 0 ? alice : bob;
    events.push(sent(direct, mid(n), sender, { clientMessageId: `c-${n}` }));
    if (sender === alice) fromAlice.push(mid(n));
  }
  events.push(messagesRead(direct, bob, fromAlice));
  return events;
}

const baseline = longConversation();

function decideCounting(state: ConversationState, command: ConversationCommand) {
  if (state.status === 'not_created') throw new Error('expected a conversation');
  const counter = { reads: 0 };
  const counting = <T>(entries: T[]): T[] =>
    new Proxy(entries, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) counter.reads += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  const { messages } = state;
  const instrumented: ConversationState = {
    ...state,
    messages: { ...messages, ids: counting(messages.ids), senders: counting(messages.senders), flags: counting(messages.flags) },
  };
  const decision = conversationDecider.decide(command, instrumented, CONTEXT);
  return { decision, reads: counter.reads };
}

const FEW = 50;

describe(`a conversation of ${LENGTH.toLocaleString('en')} messages`, () => {
  const three = [mid(LENGTH), mid(LENGTH + 1), mid(LENGTH + 2)];
  const withThreeNew = [...baseline, ...three.map((id) => sent(direct, id, alice))];

  it('counts what a decision reads: alice’s first read-all reads every one of bob’s messages', () => {
    const fromBob = baseline.filter((event) => event.type === 'MessageSent' && event.data.senderId === bob).length;
    const { decision, reads } = decideCounting(fold(baseline), markRead(alice, direct, []));
    expect(decision.kind === 'accepted' && decision.events[0]?.type === 'MessagesRead' && decision.events[0].data.messageIds.length).toBe(fromBob);
    expect(reads).toBeGreaterThanOrEqual(fromBob);
  });

  it('decides a send from a few entries', () => {
    const { decision, reads } = decideCounting(fold(baseline), send(bob, direct, mid(LENGTH), { replyTo: mid(5) }));
    expect(decision).toMatchObject({ kind: 'accepted', events: [{ type: 'MessageSent' }] });
    expect(reads).toBeLessThan(FEW);
  });

  it('recognises a retried clientMessageId from a few entries', () => {
    const { decision, reads } = decideCounting(fold(baseline), send(alice, direct, mid(LENGTH), { clientMessageId: 'c-0' }));
    expect(decision).toEqual({ kind: 'accepted', events: [], result: { conversationId: direct, messageId: mid(0), duplicate: true } });
    expect(reads).toBeLessThan(FEW);
  });

  it('reads all of three new messages from a few entries', () => {
    const { decision, reads } = decideCounting(fold(withThreeNew), markRead(bob, direct, []));
    expect(decision).toMatchObject({ kind: 'accepted', events: [messagesRead(direct, bob, three)] });
    expect(reads).toBeLessThan(FEW);
  });

  it('reads named messages from a few entries', () => {
    const { decision, reads } = decideCounting(fold(withThreeNew), markRead(bob, direct, [three[2] ?? '', mid(7), three[0] ?? '']));
    expect(decision).toMatchObject({ kind: 'accepted', events: [messagesRead(direct, bob, [mid(LENGTH), mid(LENGTH + 2)])] });
    expect(reads).toBeLessThan(FEW);
  });

  it('answers a read-all with nothing to read from a few entries, also after the reader wrote more', () => {
    // bob is caught up; his own new messages must not push his watermark behind them.
    const state = fold([...baseline, ...three.map((id) => sent(direct, id, bob))]);
    const { decision, reads } = decideCounting(state, markRead(bob, direct, []));
    expect(decision).toMatchObject({ kind: 'accepted', events: [] });
    expect(reads).toBeLessThan(FEW);
  });

  it('deletes and delivers from a few entries', () => {
    const state = fold(withThreeNew);
    const deletion = decideCounting(state, deleteMessage(alice, direct, mid(1)));
    expect(deletion.decision).toMatchObject({ kind: 'accepted', events: [messageDeleted(direct, mid(1), alice)] });
    expect(deletion.reads).toBeLessThan(FEW);
    const delivery = decideCounting(state, markDelivered(bob, direct, three));
    expect(delivery.decision).toMatchObject({ kind: 'accepted', events: [{ type: 'MessageDelivered', data: { messageIds: three } }] });
    expect(delivery.reads).toBeLessThan(FEW);
  });

  it('does not leave a reader scanning behind a deleted message', () => {
    // bob has one unread message, then writes a long monologue: his own messages pile up
    // above his first unread one. Deleting that message settles all of them for him.
    const events: ConversationEvent[] = [directCreated(alice, bob), sent(direct, mid(0), alice)];
    for (let n = 1; n <= LENGTH; n += 1) events.push(sent(direct, mid(n), bob));
    events.push(messageDeleted(direct, mid(0), alice));
    const { decision, reads } = decideCounting(fold(events), markRead(bob, direct, []));
    expect(decision).toMatchObject({ kind: 'accepted', events: [] });
    expect(reads).toBeLessThan(FEW);
  });
});
