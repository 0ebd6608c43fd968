import { z } from 'zod';
import { findUnsafeValue, formatZodError, guarded, parseWith, WIRE_NESTING_MAX_DEPTH } from './index';

describe('findUnsafeValue', () => {
  it('passes plain JSON data, including null-prototype objects', () => {
    expect(findUnsafeValue({ a: [1, 'two', null, { b: true }] })).toBeUndefined();
    expect(findUnsafeValue(Object.assign(Object.create(null) as object, { a: 1 }))).toBeUndefined();
    expect(findUnsafeValue('text')).toBeUndefined();
  });

  it('reports the path of a forbidden key', () => {
    expect(findUnsafeValue(JSON.parse('{"a":[{"b":{"__proto__":{}}}]}'))).toEqual({
      path: ['a', 0, 'b', '__proto__'],
      message: 'forbidden key',
    });
  });

  it('reports nesting beyond the limit at the path where it goes too deep, below a given path', () => {
    let deep: unknown = 1;
    for (let i = 0; i < WIRE_NESTING_MAX_DEPTH; i += 1) deep = i % 2 === 0 ? { k: deep } : [deep];
    const found = findUnsafeValue(deep, ['root']);
    expect(found?.message).toBe(`nested deeper than ${WIRE_NESTING_MAX_DEPTH} levels`);
    expect(found?.path).toHaveLength(WIRE_NESTING_MAX_DEPTH);
    expect(found?.path[0]).toBe('root');
    expect(findUnsafeValue(deep)).toBeUndefined();
  });

  it('reports non-JSON values', () => {
    expect(findUnsafeValue({ at: new Date(0) })).toEqual({ path: ['at'], message: 'expected plain JSON data' });
  });
});

describe('guarded', () => {
  const schema = guarded(z.object({ name: z.string() }));

  it('parses like the wrapped schema', () => {
    expect(schema.parse({ name: 'n', extra: 1 })).toEqual({ name: 'n' });
  });

  it('stops before the wrapped schema runs', () => {
    const inner = jest.fn((value: unknown) => value);
    const spied = guarded(z.unknown().transform(inner));
    expect(spied.safeParse(JSON.parse('{"__proto__":{"x":1}}')).success).toBe(false);
    expect(inner).not.toHaveBeenCalled();
  });
});

describe('formatZodError', () => {
  it('bounds the message and keeps it on one line', () => {
    const key = `k\n${'x'.repeat(600)}`;
    const result = parseWith(guarded(z.object({})), { [key]: { constructor: 1 } });
    expect(result.success).toBe(false);
    const message = result.success ? '' : result.message;
    expect(message.length).toBe(500);
    expect(message).toMatch(/^Invalid payload: .*…$/);
    expect(message).not.toMatch(/\n/);
  });

  it('lists at most five problems and counts the rest', () => {
    const schema = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string(), f: z.string(), g: z.string() });
    const error = schema.safeParse({}).error;
    expect(error && formatZodError(error)).toMatch(/e: expected string, received undefined \(and 2 more\)$/);
  });
});
