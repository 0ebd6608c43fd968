import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probes } from '../readiness';
import { type LocalServers, startLocalServers } from './local-servers';

// The lifecycle guarantees of the local-process path, on a real Redis (the quickest server
// to start): servers never outlive whoever asked for them, and a later run cleans up after
// one whose supervisor was killed.

interface State {
  supervisorPid: number;
  servers: { name: string; pid: number }[];
}

const readState = (servers: LocalServers): State =>
  JSON.parse(readFileSync(join(servers.dataDir, 'supervisor-state.json'), 'utf8')) as State;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

describe('local servers', () => {
  let dataRoot: string;
  let stand_in_parent: ChildProcess | undefined;
  const started: LocalServers[] = [];
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
  };

  beforeEach(() => {
    dataRoot = mkdtempSync(join(tmpdir(), 'chat-local-servers-'));
    // A stand-in for "the process that asked": killing it must stop the servers.
    stand_in_parent = spawn('sleep', ['600'], { stdio: 'ignore' });
    lines.length = 0;
  });

  afterEach(async () => {
    stand_in_parent?.kill('SIGKILL');
    for (const s of started.splice(0)) await s.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  const start = async (): Promise<LocalServers> => {
    const servers = await startLocalServers({
      profile: 'test',
      dependencies: ['redis'],
      log,
      env: { ...process.env, CHAT_DATA_DIR: dataRoot },
      parentPid: stand_in_parent?.pid as number,
    });
    started.push(servers);
    return servers;
  };

  it('answers on a port of its own when the default one is taken, and stops the server on stop()', async () => {
    const servers = await start();
    const url = servers.values.redis as string;
    await expect(probes.redis(url)).resolves.toBeUndefined();
    const redisPid = readState(servers).servers.find((s) => s.name === 'redis')?.pid as number;
    expect(isAlive(redisPid)).toBe(true);

    await servers.stop();
    expect(isAlive(redisPid)).toBe(false);
    await expect(probes.redis(url)).rejects.toThrow();
  });

  it('stops every server by itself when the process that asked for them is SIGKILLed', async () => {
    const servers = await start();
    const state = readState(servers);
    const redisPid = state.servers.find((s) => s.name === 'redis')?.pid as number;
    expect(isAlive(redisPid)).toBe(true);

    stand_in_parent?.kill('SIGKILL');

    expect(await waitUntil(() => !isAlive(redisPid) && !isAlive(state.supervisorPid), 10_000)).toBe(true);
  });

  it('a later start stops servers left behind by a supervisor that was SIGKILLed', async () => {
    const first = await start();
    const state = readState(first);
    const orphanPid = state.servers.find((s) => s.name === 'redis')?.pid as number;
    // Kill the supervisor outright, then its parent: the server is now an orphan nobody watches.
    process.kill(state.supervisorPid, 'SIGKILL');
    stand_in_parent?.kill('SIGKILL');
    await waitUntil(() => !isAlive(state.supervisorPid), 5000);
    expect(isAlive(orphanPid)).toBe(true);

    stand_in_parent = spawn('sleep', ['600'], { stdio: 'ignore' });
    const second = await start();

    expect(isAlive(orphanPid)).toBe(false);
    expect(lines.some((l) => l.includes(`redis (pid ${orphanPid})`) && l.includes('left by an earlier run'))).toBe(true);
    await expect(probes.redis(second.values.redis as string)).resolves.toBeUndefined();
  });
});
