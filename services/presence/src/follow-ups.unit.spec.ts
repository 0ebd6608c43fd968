import { FollowUps } from './follow-ups';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FollowUps', () => {
  it('runs one key in order, keys side by side, never more than the limit at once', async () => {
    const errors: unknown[] = [];
    const queue = new FollowUps(2, (err) => errors.push(err));
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, ms: number) => async () => {
      running += 1;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      running -= 1;
    };
    queue.add('a', job('a1', 20));
    queue.add('a', job('a2', 1));
    queue.add('b', job('b1', 1));
    queue.add('c', job('c1', 1));
    await queue.drain();
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
    expect(most).toBe(2);
    expect(errors).toEqual([]);
    expect(queue.pending).toBe(0);
  });

  it('reports a failure and goes on with the next follow-up of the same key', async () => {
    const errors: unknown[] = [];
    const queue = new FollowUps(1, (err) => errors.push(err));
    const done: string[] = [];
    queue.add('a', async () => {
      throw new Error('boom');
    });
    queue.add('a', async () => {
      done.push('after');
    });
    await queue.drain();
    expect(errors).toEqual([new Error('boom')]);
    expect(done).toEqual(['after']);
  });
});
