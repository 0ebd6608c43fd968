/**
 * Global positions as strings that sort like the positions themselves: each part as 20
 * decimal digits (an unsigned 64-bit number has at most 20), `<commit>/<prepare>`. A document's
 * guard is then a plain string comparison, which MongoDB and FerretDB both evaluate in a
 * filter (`position: { $lt: key }`), with no 64-bit integer types to round-trip through
 * drivers that read them back as doubles. `parsePosition` of @chat/runtime reads a key too.
 */

export interface PositionParts {
  readonly commit: bigint;
  readonly prepare: bigint;
}

const PART_DIGITS = 20;
const MAX_PART = 2n ** 64n - 1n;
const KEY = /^(\d{20})\/(\d{20})$/;

function part(value: bigint, name: string): string {
  if (value < 0n || value > MAX_PART) throw new RangeError(`position ${name} ${value} is outside 0..2^64-1`);
  return value.toString().padStart(PART_DIGITS, '0');
}

export function positionKey(position: PositionParts): string {
  return `${part(position.commit, 'commit')}/${part(position.prepare, 'prepare')}`;
}

export function positionFromKey(key: string): PositionParts {
  const match = KEY.exec(key);
  if (!match?.[1] || !match[2]) throw new Error(`not a position key: '${key}'`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

export function isPositionKey(value: unknown): value is string {
  return typeof value === 'string' && KEY.test(value);
}
