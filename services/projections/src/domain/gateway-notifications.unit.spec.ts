import { type DomainEvent, type EventMetadata, type GatewayNotification, gatewayNotificationSchema } from '@chat/contracts';
import { notificationsFor } from './gateway-notifications';
import { messageView } from './read-model-views';
import type { MessageState } from './read-model-documents';
import {
  added,
  alice,
  blocked,
  bob,
  carol,
  deleted,
  delivered,
  directCreated,
  given,
  group,
  groupCreated,
  messageOf,
  mid,
  photoRemoved,
  photoUpdated,
  read,
  registered,
  removed,
  sent,
  unblocked,
} from './testing/projection-fixtures';

const people = [registered(alice, 'Alice'), registered(bob, 'Bob'), registered(carol, 'Carol')];
const inGroup = [...people, groupCreated([alice, bob, carol])];
const socket: Partial<EventMetadata> = { gatewayId: 'gateway-7', socketId: 'socket-abc' };

function notify(history: DomainEvent[], event: DomainEvent, extra: Partial<EventMetadata> = {}): GatewayNotification[] {
  const { projected, changes } = given(...history).when(event, extra);
  const notifications = notificationsFor(projected, changes);
  for (const notification of notifications) expect(gatewayNotificationSchema.parse(notification)).toEqual(notification);
  return notifications;
}

describe('notificationsFor', () => {
  describe('MessageSent', () => {
    it('sends new:message with the message view to the conversation room, with its members and its event\'s position (message:sent is the gateway\'s, on the acknowledgement)', () => {
      const { projected, changes, documents } = given(...inGroup).when(sent(alice, group, mid(1)), socket);
      const message = messageView(messageOf(documents, mid(1)) as MessageState);
      const membersOf = (conversationId: string): string[] | undefined => (conversationId === group ? [alice, bob, carol] : undefined);
      expect(notificationsFor(projected, changes, membersOf)).toEqual([
        {
          type: 'GatewayNotification',
          version: 1,
          target: { room: `conversation:${group}` },
          event: 'new:message',
          payload: { message },
          dedupeKey: `${projected.id}:new:message`,
          position: projected.position,
          audience: [alice, bob, carol],
        },
      ]);
      // A room too large to list travels without its members.
      const crowd = Array.from({ length: 1_001 }, (_, i) => i.toString(16).padStart(24, '0'));
      expect(notificationsFor(projected, changes, () => crowd)[0]).not.toHaveProperty('audience');
    });

    it('sends new:message alone whether or not the event names the sending socket', () => {
      expect(notify(inGroup, sent(alice, group, mid(1))).map((n) => n.event)).toEqual(['new:message']);
      expect(notify(inGroup, sent(alice, group, mid(1)), socket).map((n) => n.event)).toEqual(['new:message']);
    });

    it('sends nothing for a message projected already (redelivery)', () => {
      expect(notify([...inGroup, sent(alice, group, mid(1))], sent(alice, group, mid(1)), socket)).toEqual([]);
    });
  });

  it('sends message:deleted to the room, once', () => {
    expect(notify([...inGroup, sent(alice, group, mid(1))], deleted(alice, group, mid(1)))).toEqual([
      expect.objectContaining({ target: { room: `conversation:${group}` }, event: 'message:deleted', payload: { messageId: mid(1), conversationId: group } }),
    ]);
    expect(notify([...inGroup, sent(alice, group, mid(1)), deleted(alice, group, mid(1))], deleted(alice, group, mid(1)))).toEqual([]);
  });

  it('sends messages:read to the room with exactly the messages whose read state changed for that reader', () => {
    const history = [...inGroup, sent(alice, group, mid(1)), sent(alice, group, mid(2)), sent(alice, group, mid(3)), read(bob, group, [mid(1)])];
    expect(notify(history, read(bob, group, [mid(1), mid(2), mid(3)]))).toEqual([
      expect.objectContaining({
        target: { room: `conversation:${group}` },
        event: 'messages:read',
        payload: { messageIds: [mid(2), mid(3)], readBy: bob, conversationId: group },
      }),
    ]);
    expect(notify([...history, read(bob, group, [mid(2), mid(3)])], read(bob, group, [mid(2), mid(3)]))).toEqual([]);
  });

  it("sends message:delivered to the sender's user room, once per message that became delivered", () => {
    const history = [...inGroup, sent(alice, group, mid(1)), sent(carol, group, mid(2)), sent(alice, group, mid(3)), delivered(bob, group, [mid(3)])];
    const notifications = notify(history, delivered(bob, group, [mid(1), mid(2), mid(3)]));
    expect(notifications.map((n) => [n.target, n.payload])).toEqual([
      [{ room: `user:${alice}` }, { messageId: mid(1) }],
      [{ room: `user:${carol}` }, { messageId: mid(2) }],
    ]);
    expect(new Set(notifications.map((n) => n.dedupeKey)).size).toBe(2);
  });

  it('sends no message:delivered for a message already read (it would turn the sender\'s "read" back)', () => {
    expect(notify([...inGroup, sent(alice, group, mid(1)), read(bob, group, [mid(1)])], delivered(carol, group, [mid(1)]))).toEqual([]);
  });

  it("sends group:photo:updated and group:photo:removed with the spec's payloads", () => {
    expect(notify(inGroup, photoUpdated('https://cdn.example.com/g.png', { updatedBy: bob }))).toEqual([
      expect.objectContaining({
        target: { room: `conversation:${group}` },
        event: 'group:photo:updated',
        payload: { groupId: group, groupImage: 'https://cdn.example.com/g.png', updatedBy: bob },
      }),
    ]);
    expect(notify([...inGroup, photoUpdated('https://cdn.example.com/g.png')], photoRemoved({ removedBy: carol }))).toEqual([
      expect.objectContaining({
        target: { room: `conversation:${group}` },
        event: 'group:photo:removed',
        payload: { groupId: group, groupImage: null, removedBy: carol },
      }),
    ]);
    expect(notify(inGroup, photoRemoved())).toEqual([]);
  });

  it('sends nothing for events no client is told about', () => {
    for (const event of [registered(carol), blocked(alice, bob), unblocked(alice, bob), directCreated(), added([carol]), removed(carol)]) {
      expect(notify(people, event)).toEqual([]);
    }
  });
});
