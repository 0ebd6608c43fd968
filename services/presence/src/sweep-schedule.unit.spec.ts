import { SweepSchedule } from './sweep-schedule';

describe('SweepSchedule', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const flush = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('sweeps at once, then every interval while nothing is due, and nothing in between', async () => {
    const runs: number[] = [];
    const schedule = new SweepSchedule(async () => void runs.push(Date.now()), 2_000, () => undefined);
    schedule.start();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(5_999);
    expect(runs).toEqual([1_000_000, 1_002_000, 1_004_000]);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(4);
    schedule.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(4);
  });

  it('sweeps when a deadline it is told of or that the last sweep left runs out', async () => {
    const runs: number[] = [];
    let nextDeadline: number | undefined = 1_000_300;
    const schedule = new SweepSchedule(
      async () => {
        runs.push(Date.now());
        const next = nextDeadline;
        nextDeadline = undefined;
        return next;
      },
      2_000,
      () => undefined,
    );
    schedule.start();
    await jest.advanceTimersByTimeAsync(300);
    expect(runs).toEqual([1_000_000, 1_000_300]);
    schedule.wakeAt(1_000_700);
    schedule.wakeAt(1_001_000); // later than one already planned: changes nothing
    await jest.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([1_000_000, 1_000_300, 1_000_700]);
    schedule.stop();
  });

  it('runs one sweep at a time, and a deadline that came during one right after it', async () => {
    let release: () => void = () => undefined;
    let running = 0;
    let most = 0;
    const runs: number[] = [];
    const schedule = new SweepSchedule(
      async () => {
        running += 1;
        most = Math.max(most, running);
        runs.push(Date.now());
        await new Promise<void>((resolve) => (release = resolve));
        running -= 1;
        return undefined;
      },
      2_000,
      () => undefined,
    );
    schedule.start();
    await jest.advanceTimersByTimeAsync(0);
    schedule.wakeAt(Date.now());
    await jest.advanceTimersByTimeAsync(100);
    expect(runs).toHaveLength(1);
    release();
    await flush();
    await jest.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([1_000_000, 1_000_100]);
    expect(most).toBe(1);
    schedule.stop();
    release();
  });

  it('keeps sweeping after a sweep failed, and says so', async () => {
    const lines: string[] = [];
    let calls = 0;
    const schedule = new SweepSchedule(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('redis away');
        return undefined;
      },
      2_000,
      (line) => lines.push(line),
    );
    schedule.start();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(calls).toBe(2);
    expect(lines).toEqual(['sweep failed: redis away']);
    schedule.stop();
  });
});
