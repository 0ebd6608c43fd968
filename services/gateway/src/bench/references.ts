import { waitFor } from '@chat/runtime/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';
import type { ReferenceKind } from './options';
import { stopGracefully } from './system';

export const referenceNames: Readonly<Record<ReferenceKind, string>> = {
  relay: 'bare Socket.IO relay',
  peer: 'Socket.IO + FerretDB insert (the seed’s shape)',
};

export interface RunningReference {
  readonly kind: ReferenceKind;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts reference-server.js (built next to this file) as a process of its own on a loopback
 * port of its choosing; `cleanup` stops it at the latest. The peer writes into `database` of
 * the FerretDB at `mongoUrl`, one of its own, so our read models are left alone.
 */
export async function startReference(kind: ReferenceKind, mongoUrl: string, database: string, cleanup: Cleanup): Promise<RunningReference> {
  const args = kind === 'peer' ? [kind, mongoUrl, database] : [kind];
  // stdin a pipe: the reference ends with it, should this process die without stopping it.
  const child = spawn(process.execPath, [join(__dirname, 'reference-server.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stop = (): Promise<void> => stopChild(child);
  cleanup.add(`the ${referenceNames[kind]}`, stop);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the ${kind} reference exited before it was ready:\n${output}`);
        return /listening on \d+/.test(output);
      },
      30_000,
      () => `the ${kind} reference to listen:\n${output}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const port = Number(/listening on (\d+)/.exec(output)?.[1]);
  return { kind, url: `http://127.0.0.1:${port}`, pid: child.pid as number, stop };
}

/** SIGTERM, then SIGKILL if it is still there after 5 s; nothing if it has ended. */
function stopChild(child: ChildProcess): Promise<void> {
  return stopGracefully(async (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }, 5_000);
}
