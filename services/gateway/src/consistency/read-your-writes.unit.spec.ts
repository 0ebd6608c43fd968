import type { GlobalPosition } from '@chat/runtime';
import { ReadYourWrites } from './read-your-writes';

const at = (prepare: number): GlobalPosition => ({ commit: 10n, prepare: BigInt(prepare) });
const text = (prepare: number): string => `10/${prepare}`;

/** A read store whose position the test moves, counting how often it is asked. */
function readModels(start: number | undefined) {
  let position = start === undefined ? undefined : at(start);
  let lookups = 0;
  return {
    get lookups() {
      return lookups;
    },
    moveTo(prepare: number) {
      position = at(prepare);
    },
    read: async () => {
      lookups += 1;
      return position;
    },
  };
}

describe('ReadYourWrites', () => {
  it('lets a user told of nothing through at once, without asking the read store', async () => {
    const store = readModels(5);
    const reads = new ReadYourWrites({ readModelsPosition: store.read });
    expect(await reads.settle('alice')).toEqual({ caughtUp: true, waitedMs: 0 });
    expect(store.lookups).toBe(0);
  });

  it('holds a user told of a later position until the read models reach it; one lookup serves every waiter', async () => {
    const store = readModels(5);
    const reads = new ReadYourWrites({ readModelsPosition: store.read, pollMs: 5 });
    reads.note(['alice', 'bob'], text(7));
    let done = 0;
    const waits = [reads.settle('alice'), reads.settle('bob')].map((wait) => wait.then((settled) => ((done += 1), settled)));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(done).toBe(0);
    const lookupsWhileBehind = store.lookups;
    store.moveTo(7);
    const settled = await Promise.all(waits);
    expect(settled.map((s) => [s.caughtUp, s.wanted])).toEqual([
      [true, text(7)],
      [true, text(7)],
    ]);
    // Both waited on the same lookups: about one per poll, not one per waiter and poll.
    expect(store.lookups - lookupsWhileBehind).toBeLessThanOrEqual(2);
    // Passed now: the next read goes straight on, and nothing is looked up at rest.
    const before = store.lookups;
    expect(await reads.settle('alice')).toEqual({ caughtUp: true, waitedMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.lookups).toBe(before);
  });

  it('keeps the highest position told; one already shown needs no wait', async () => {
    const store = readModels(3);
    const reads = new ReadYourWrites({ readModelsPosition: store.read, pollMs: 1 });
    reads.note(['alice'], text(9));
    reads.note(['alice'], text(4));
    const wait = reads.settle('alice');
    store.moveTo(4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    store.moveTo(9);
    expect(await wait).toMatchObject({ caughtUp: true, wanted: text(9) });
    reads.note(['alice'], text(8));
    const lookups = store.lookups;
    expect(await reads.settle('alice')).toEqual({ caughtUp: true, waitedMs: 0 });
    expect(store.lookups).toBe(lookups);
  });

  it('answers after the longest wait with what it waited for, and still answers when the read store fails', async () => {
    const store = readModels(undefined);
    const reads = new ReadYourWrites({ readModelsPosition: store.read, maxWaitMs: 50, pollMs: 2 });
    reads.note(['carol'], text(2));
    const settled = await reads.settle('carol');
    expect(settled).toMatchObject({ caughtUp: false, wanted: text(2) });
    expect(settled.waitedMs).toBeGreaterThanOrEqual(45);

    const failing = new ReadYourWrites({ readModelsPosition: () => Promise.reject(new Error('down')), maxWaitMs: 30, pollMs: 2 });
    failing.note(['carol'], text(2));
    expect(await failing.settle('carol')).toMatchObject({ caughtUp: false });
  });

  it('closing answers every wait at once', async () => {
    const reads = new ReadYourWrites({ readModelsPosition: async () => undefined, maxWaitMs: 60_000 });
    reads.note(['dave'], text(1));
    const wait = reads.settle('dave');
    reads.close();
    expect(await wait).toMatchObject({ caughtUp: false });
  });
});
