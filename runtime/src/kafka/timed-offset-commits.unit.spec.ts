import { TimedOffsetCommits } from './timed-offset-commits';

type Commit = { topic: string; partition: number; offset: string }[];

function recorder(fail = false): { commits: Commit[]; commitOffsets: (offsets: Commit) => Promise<void> } {
  const commits: Commit[] = [];
  return {
    commits,
    commitOffsets: async (offsets) => {
      commits.push(offsets);
      if (fail) throw new Error('REBALANCE_IN_PROGRESS');
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('TimedOffsetCommits', () => {
  it('commits the next offset of each partition once per interval, the latest handled one', async () => {
    const consumer = recorder();
    const commits = new TimedOffsetCommits(consumer, { intervalMs: 20 });
    commits.handled('t', 0, '4');
    commits.handled('t', 0, '5');
    commits.handled('t', 3, '9');
    expect(consumer.commits).toEqual([]);
    await sleep(40);
    expect(consumer.commits).toEqual([
      [
        { topic: 't', partition: 0, offset: '6' },
        { topic: 't', partition: 3, offset: '10' },
      ],
    ]);
  });

  it('commits nothing and keeps no timer while nothing was handled', async () => {
    const consumer = recorder();
    const commits = new TimedOffsetCommits(consumer, { intervalMs: 5 });
    commits.handled('t', 1, '0');
    await sleep(20);
    await sleep(20);
    expect(consumer.commits).toHaveLength(1);
    await commits.stop();
    expect(consumer.commits).toHaveLength(1);
  });

  it('stops taking records, waits for the batches under way and commits what they handled', async () => {
    const consumer = recorder();
    const commits = new TimedOffsetCommits(consumer, { intervalMs: 60_000 });
    let finish: () => void = () => undefined;
    const batch = commits.track(async () => {
      await new Promise<void>((resolve) => (finish = resolve));
      commits.handled('t', 2, '41');
    });
    const stopped = commits.stop();
    expect(commits.accepting).toBe(false);
    await sleep(5);
    expect(consumer.commits).toEqual([]);
    finish();
    await batch;
    await stopped;
    expect(consumer.commits).toEqual([[{ topic: 't', partition: 2, offset: '42' }]]);
  });

  it('logs a failed commit and carries the partition forward with the next record', async () => {
    const consumer = recorder(true);
    const lines: string[] = [];
    const commits = new TimedOffsetCommits(consumer, { intervalMs: 5, log: (line) => lines.push(line) });
    commits.handled('t', 0, '1');
    await sleep(20);
    expect(lines).toEqual([expect.stringContaining('REBALANCE_IN_PROGRESS')]);
    commits.handled('t', 0, '2');
    await sleep(20);
    expect(consumer.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: '3' }]);
  });
});
