import {
  addParticipantsBodySchema,
  conversationViewSchema,
  createConversationBodySchema,
  mediaUploadViewSchema,
  messagesPageViewSchema,
  messagesQuerySchema,
  messageViewSchema,
  parseWith,
  registerUserBodySchema,
} from './index';
import { messageExample, uploadResponseExample } from './spec-examples.fixture';

const alice = '507f1f77bcf86cd799439021';
const failure = (result: { success: boolean; message?: string }) => (result.success ? 'parsed' : result.message);

describe('views', () => {
  it('shows a deleted message as the API contract describes it', () => {
    const deleted = { ...messageExample, text: null, media: [], deleted: true };
    expect(messageViewSchema.parse(deleted)).toEqual(deleted);
    expect(failure(parseWith(messageViewSchema, { ...messageExample, deleted: undefined }))).toBe(
      'Invalid payload: deleted: expected boolean, received undefined',
    );
  });

  it('parses a conversation and a page of messages', () => {
    const conversation = {
      _id: messageExample.conversationId,
      type: 'group',
      name: 'Team',
      groupImage: null,
      participants: [messageExample.senderId],
      admins: [messageExample.senderId._id],
      lastMessage: messageExample,
      unreadCount: 3,
      createdAt: messageExample.createdAt,
      updatedAt: messageExample.updatedAt,
    };
    expect(conversationViewSchema.parse(conversation)).toEqual(conversation);
    expect(conversationViewSchema.safeParse({ ...conversation, unreadCount: -1 }).success).toBe(false);
    expect(messagesPageViewSchema.parse({ messages: [messageExample], hasMore: false })).toEqual({ messages: [messageExample], hasMore: false });
  });

  it('parses the upload response of the spec', () => {
    expect(mediaUploadViewSchema.parse(uploadResponseExample.data)).toEqual(uploadResponseExample.data);
  });
});

describe('REST bodies', () => {
  it('registers a user with or without an id and image', () => {
    expect(registerUserBodySchema.parse({ name: ' Alice ' })).toEqual({ name: 'Alice', profileImage: null });
    expect(registerUserBodySchema.parse({ name: 'Alice', _id: alice.toUpperCase(), profileImage: 'https://cdn.example.com/a.png' })).toEqual({
      name: 'Alice',
      _id: alice,
      profileImage: 'https://cdn.example.com/a.png',
    });
    expect(failure(parseWith(registerUserBodySchema, { name: '  ' }))).toBe('Invalid payload: name: Too small: expected string to have >=1 characters');
    expect(failure(parseWith(registerUserBodySchema, { name: 'A', _id: 'abc' }))).toBe('Invalid payload: _id: expected a 24-hex-digit ObjectId');
  });

  it('treats an empty conversation name as none, and leaves unknown ids to the service', () => {
    expect(createConversationBodySchema.parse({ participantIds: ['abc'], name: '' })).toEqual({ participantIds: ['abc'], name: null });
    expect(createConversationBodySchema.parse({ participantIds: [alice], name: ' Team ' })).toEqual({ participantIds: [alice], name: 'Team' });
    expect(failure(parseWith(createConversationBodySchema, { participantIds: alice }))).toBe('Invalid payload: participantIds: expected array, received string');
    expect(failure(parseWith(addParticipantsBodySchema, { userIds: [] }))).toContain('Invalid payload: userIds: Too small');
  });

  it.each([
    [{}, { limit: 50 }],
    [{ limit: '10', before: alice }, { limit: 10, before: alice }],
    [{ limit: '500' }, { limit: 100 }],
  ])('reads the messages query %j', (query, expected) => {
    expect(messagesQuerySchema.parse(query)).toEqual(expected);
  });

  it.each([[{ limit: 'ten' }], [{ limit: '0' }], [{ limit: '1.5' }], [{ limit: ['1', '2'] }]])('rejects the messages query %j', (query) => {
    expect(failure(parseWith(messagesQuerySchema, query))).toMatch(/^Invalid payload: limit: /);
  });
});
