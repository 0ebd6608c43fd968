import { directConversationId, isObjectId, objectIdSchema, toObjectId, wireIdSchema } from './index';

describe('ObjectIds', () => {
  it.each([
    ['507f1f77bcf86cd799439011', '507f1f77bcf86cd799439011'],
    ['507F1F77BCF86CD799439011', '507f1f77bcf86cd799439011'],
  ])('accepts %s as %s', (raw, normalised) => {
    expect(isObjectId(raw)).toBe(true);
    expect(toObjectId(raw)).toBe(normalised);
    expect(objectIdSchema.parse(raw)).toBe(normalised);
  });

  it.each([
    ['too short', 'abc'],
    ['empty', ''],
    ['one digit too many', '507f1f77bcf86cd7994390111'],
    ['not hex', '507f1f77bcf86cd79943901g'],
    ['padded', ' 507f1f77bcf86cd799439011'],
    ['a trailing newline', '507f1f77bcf86cd799439011\n'],
    ['a number', 507],
    ['null', null],
    ['an object', { $ne: null }],
  ])('treats %s as not an ObjectId', (_name, raw) => {
    expect(isObjectId(raw)).toBe(false);
    expect(toObjectId(raw)).toBeUndefined();
    expect(objectIdSchema.safeParse(raw).success).toBe(false);
  });

  it('explains a rejected ObjectId', () => {
    expect(objectIdSchema.safeParse('abc').error?.issues[0]?.message).toBe('expected a 24-hex-digit ObjectId');
  });

  it('lets any bounded string through as a wire id', () => {
    expect(wireIdSchema.parse('abc')).toBe('abc');
    expect(wireIdSchema.safeParse('a'.repeat(257)).success).toBe(false);
  });
});

describe('directConversationId', () => {
  const alice = '507f1f77bcf86cd799439021';
  const bob = '507f1f77bcf86cd799439022';

  it('is the same for both orders and both cases, and reads as an ObjectId', () => {
    const id = directConversationId(alice, bob);
    expect(directConversationId(bob, alice)).toBe(id);
    expect(directConversationId(alice.toUpperCase(), bob)).toBe(id);
    expect(isObjectId(id)).toBe(true);
    expect(id).toBe(id.toLowerCase());
  });

  it('differs for a different pair', () => {
    expect(directConversationId(alice, '507f1f77bcf86cd799439023')).not.toBe(directConversationId(alice, bob));
  });
});
