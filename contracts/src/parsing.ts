import { z } from 'zod';
import { ErrorMessage } from './errors';
import { WIRE_NESTING_MAX_DEPTH } from './limits';

export type ParseResult<T> = { success: true; data: T } | { success: false; message: string };

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const MESSAGE_MAX_CHARS = 500;
const MESSAGE_MAX_ISSUES = 5;

export interface UnsafeValue {
  path: (string | number)[];
  message: string;
}

/**
 * Finds what must never get past a JSON boundary: a key that can reach a prototype
 * (`JSON.parse` keeps `"__proto__"` as an own key, and a later spread or `Object.assign` turns
 * it into a prototype), nesting deep enough to exhaust a recursive walker, or a value JSON
 * cannot produce (a class instance or Buffer, which zod's object check would accept and read
 * inherited properties from). It has to look at the raw value: zod strips unknown keys, so
 * after parsing the evidence is gone.
 */
export function findUnsafeValue(value: unknown, path: (string | number)[] = []): UnsafeValue | undefined {
  const found = unsafeBelow(value, path.length);
  return found && { path: [...path, ...found.path.reverse()], message: found.message };
}

/**
 * The walk behind findUnsafeValue. It runs on every event a projection reads, so it allocates
 * nothing on the way down: the path is collected backwards, only on the way out of a finding.
 */
function unsafeBelow(value: unknown, depth: number): UnsafeValue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= WIRE_NESTING_MAX_DEPTH) return { path: [], message: `nested deeper than ${WIRE_NESTING_MAX_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = unsafeBelow(value[index], depth + 1);
      if (found) {
        found.path.push(index);
        return found;
      }
    }
    return undefined;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return { path: [], message: 'expected plain JSON data' };
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (FORBIDDEN_KEYS.has(key)) return { path: [key], message: 'forbidden key' };
    const found = unsafeBelow((value as Record<string, unknown>)[key], depth + 1);
    if (found) {
      found.path.push(key);
      return found;
    }
  }
  return undefined;
}

/**
 * Wraps a schema so that it first rejects what {@link findUnsafeValue} finds. Use it on every
 * schema that parses data from outside the process. The input type stays the wrapped
 * schema's, so typed producers (a Socket.IO client, a Kafka producer) keep their checking.
 */
export function guarded<S extends z.ZodType>(schema: S): z.ZodPreprocess<S, z.input<S>> {
  return z.preprocess((raw: z.input<S>, ctx) => {
    const unsafe = findUnsafeValue(raw);
    if (unsafe) ctx.addIssue({ code: 'custom', input: raw, ...unsafe });
    return raw;
  }, schema);
}

/** One line naming every problem, e.g. `Invalid payload: media[0].size: Too small: expected number to be >=0`. */
export function formatZodError(error: z.core.$ZodError): string {
  const issues = error.issues.slice(0, MESSAGE_MAX_ISSUES).map((issue) => {
    const text = issue.message.replace(/^Invalid input: /, '');
    return issue.path.length > 0 ? `${z.core.toDotPath(issue.path)}: ${text}` : text;
  });
  const more = error.issues.length - issues.length;
  const line = `${ErrorMessage.InvalidPayload}: ${issues.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`.replace(/\s+/g, ' ');
  // Paths can echo client-chosen keys, so the line is bounded like any other output.
  return line.length > MESSAGE_MAX_CHARS ? `${line.slice(0, MESSAGE_MAX_CHARS - 1)}…` : line;
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(raw);
  return result.success ? { success: true, data: result.data } : { success: false, message: formatZodError(result.error) };
}
