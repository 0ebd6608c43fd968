import { isPositionKey, positionFromKey, positionKey } from './position-keys';

describe('position keys', () => {
  it('sort as the positions they encode: by commit, then by prepare', () => {
    const positions = [
      { commit: 10n, prepare: 2n },
      { commit: 9n, prepare: 900n },
      { commit: 10n, prepare: 10n },
      { commit: 0n, prepare: 0n },
      { commit: 18_446_744_073_709_551_615n, prepare: 1n },
      { commit: 100n, prepare: 1n },
    ];
    const byKey = [...positions].sort((a, b) => (positionKey(a) < positionKey(b) ? -1 : 1));
    const byValue = [...positions].sort((a, b) => (a.commit !== b.commit ? (a.commit < b.commit ? -1 : 1) : a.prepare < b.prepare ? -1 : 1));
    expect(byKey).toEqual(byValue);
  });

  it('round-trip', () => {
    const position = { commit: 123456789012345678n, prepare: 42n };
    expect(positionKey(position)).toBe('00000000123456789012345678/00000000000000000042'.slice(6));
    expect(positionFromKey(positionKey(position))).toEqual(position);
    expect(isPositionKey(positionKey(position))).toBe(true);
    expect(isPositionKey('12/3')).toBe(false);
  });

  it('refuse what no store position can be', () => {
    expect(() => positionKey({ commit: -1n, prepare: 0n })).toThrow(RangeError);
    expect(() => positionKey({ commit: 2n ** 64n, prepare: 0n })).toThrow(RangeError);
    expect(() => positionFromKey('1/2')).toThrow(/not a position key/);
  });
});
