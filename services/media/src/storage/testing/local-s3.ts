import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '@chat/runtime';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** fauxqs accepts any signature; the AWS SDK still wants credentials to sign with. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'local-test-key', secretAccessKey: 'local-test-secret' } as const;
export const LOCAL_S3_REGION = 'us-east-1';

/** An S3-compatible server on loopback, for one test file. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>`; path-style addressing. */
  readonly endpoint: string;
  readonly region: string;
  /** A client of its own (not the adapter's), for setting up and inspecting the store. */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  /**
   * The environment a media service needs to store in `bucket` here (MEDIA_STORAGE=s3 and
   * the AWS SDK's credentials).
   */
  env(bucket: string): Record<string, string>;
  /** Stops the server and waits for its process to exit. */
  stop(): Promise<void>;
}

const LAUNCHER = join(__dirname, 'fauxqs-s3.mjs');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_TAKEN_EXIT = 3;

type ServerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * Starts fauxqs (npm devDependency of @chat/media; an in-memory S3 emulator with multipart
 * uploads, AbortMultipartUpload and ranges) in a child process on 127.0.0.1 and a port from
 * freePort(). Its state goes with the process: every start is an empty store.
 */
export async function startLocalS3(): Promise<LocalS3> {
  if (!existsSync(LAUNCHER)) throw new Error(`local S3 launcher not found at ${LAUNCHER} (run the tests from src)`);
  let lastError: Error | undefined;
  // A free port can be taken between freePort() and the server's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      const child = await launch(port);
      return running(child, port);
    } catch (err) {
      lastError = err as Error;
      if ((err as { portTaken?: boolean }).portTaken !== true) break;
    }
  }
  throw lastError ?? new Error('local S3 did not start');
}

function launch(port: number): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`local S3 did not start within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`));
    }, START_TIMEOUT_MS);
    const done = (): void => {
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.removeListener('exit', onExit);
      child.removeListener('error', fail);
    };
    function fail(err: Error): void {
      done();
      reject(err);
    }
    function onExit(code: number | null, signal: NodeJS.Signals | null): void {
      const err = new Error(`local S3 exited before it was ready (code ${code}, signal ${signal}): ${stderr.trim()}`);
      fail(Object.assign(err, { portTaken: code === PORT_TAKEN_EXIT }));
    }
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes(`ready ${port}\n`)) {
        done();
        // Nothing more is expected on stdout; keep it drained so the child never blocks.
        child.stdout.resume();
        resolve(child);
      }
    });
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

function running(child: ServerProcess, port: number): LocalS3 {
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: LOCAL_S3_REGION, forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    region: LOCAL_S3_REGION,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    env(bucket) {
      return {
        MEDIA_STORAGE: 's3',
        MEDIA_S3_BUCKET: bucket,
        MEDIA_S3_ENDPOINT: endpoint,
        MEDIA_S3_REGION: LOCAL_S3_REGION,
        MEDIA_S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      };
    },
    stop() {
      stopped ??= (async () => {
        client.destroy();
        // Closing its stdin asks it to stop; a signal, then a kill, if it does not.
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGTERM'), STOP_TIMEOUT_MS);
        const killer = setTimeout(() => child.kill('SIGKILL'), 2 * STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
        clearTimeout(killer);
        child.stderr.destroy();
        child.stdout.destroy();
      })();
      return stopped;
    },
  };
}
