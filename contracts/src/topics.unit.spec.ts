import {
  conversationRoom,
  conversationStream,
  roomSchema,
  streamNameSchema,
  Topic,
  userRoom,
  userStream,
} from './index';

const id = '507f1f77bcf86cd799439011';

describe('names', () => {
  it('defines each topic once, versioned', () => {
    expect(Topic).toEqual({
      Commands: 'chat.commands.v1',
      CommandResults: 'chat.command-results.v1',
      Notifications: 'chat.notifications.v1',
      Events: 'chat.events.v1',
      Presence: 'chat.presence.v1',
      CommandsDlq: 'chat.commands.dlq.v1',
    });
  });

  it('names streams and rooms as the spec and the event store expect', () => {
    expect(conversationStream(id)).toBe(`conversation-${id}`);
    expect(userStream(id)).toBe(`user-${id}`);
    expect(conversationRoom(id)).toBe(`conversation:${id}`);
    expect(userRoom(id)).toBe(`user:${id}`);
  });

  it('recognises only stream and room names built from ObjectIds', () => {
    expect(streamNameSchema.safeParse(conversationStream(id)).success).toBe(true);
    expect(streamNameSchema.safeParse(userStream(id)).success).toBe(true);
    expect(streamNameSchema.safeParse('conversation-abc').success).toBe(false);
    expect(streamNameSchema.safeParse(`$all-${id}`).success).toBe(false);
    expect(roomSchema.safeParse(conversationRoom(id)).success).toBe(true);
    expect(roomSchema.safeParse(userRoom(id)).success).toBe(true);
    expect(roomSchema.safeParse(`conversation-${id}`).success).toBe(false);
    expect(roomSchema.safeParse('user:abc').success).toBe(false);
  });
});
