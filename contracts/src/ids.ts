import { createHash } from 'node:crypto';
import { z } from 'zod';
import { WIRE_ID_MAX_CHARS } from './limits';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/**
 * A MongoDB ObjectId as a 24-hex-digit string, in either case, normalised to lowercase.
 *
 * MongoDB prints ids in lowercase; accepting uppercase and folding it means `ABC…` and `abc…`
 * address one conversation, one stream and one room, instead of the uppercase spelling
 * silently naming an empty stream.
 */
export const objectIdSchema = z
  .string()
  .regex(OBJECT_ID, 'expected a 24-hex-digit ObjectId')
  .toLowerCase();

/**
 * An id as a client sent it: any bounded string. The contract answers an id that is not an
 * ObjectId with "not found" (in its place in the order of checks), never with a schema
 * error, so payload schemas accept it and callers resolve it with {@link toObjectId}.
 */
export const wireIdSchema = z.string().max(WIRE_ID_MAX_CHARS);

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/** The normalised id, or undefined for anything a lookup should answer "not found". */
export function toObjectId(value: unknown): string | undefined {
  return isObjectId(value) ? value.toLowerCase() : undefined;
}

/**
 * The id of the direct conversation between two users: the same whichever of them asks, so
 * "created once" holds without a lookup, and a block between them (decided on this
 * conversation's stream) has a stream before the conversation itself exists. 24 hex digits
 * of a SHA-256 of the ordered pair, so it reads as an ObjectId everywhere ids are checked.
 */
export function directConversationId(userA: string, userB: string): string {
  const [first, second] = [userA.toLowerCase(), userB.toLowerCase()].sort();
  return createHash('sha256').update(`direct:${first}:${second}`).digest('hex').slice(0, 24);
}
