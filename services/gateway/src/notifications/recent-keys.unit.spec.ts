import { RecentKeys } from './recent-keys';

describe('RecentKeys', () => {
  it('accepts a key once', () => {
    const keys = new RecentKeys(10);
    expect(keys.add('a')).toBe(true);
    expect(keys.add('a')).toBe(false);
    expect(keys.add('b')).toBe(true);
  });

  it('forgets the oldest keys beyond its capacity', () => {
    const keys = new RecentKeys(3);
    for (const key of ['a', 'b', 'c', 'd']) keys.add(key);
    expect(keys.add('b')).toBe(false);
    expect(keys.add('a')).toBe(true);
  });
});
