import {
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { freePort } from '@chat/runtime';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiskStorage } from './disk-storage';
import type { ByteRange, MediaStorage, StoredFileMeta } from './media-storage';
import { S3Storage } from './s3-storage';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './testing/local-s3';

// One contract, two adapters: DiskStorage on a temporary folder, S3Storage against a real
// S3-compatible server (fauxqs) on loopback. Whatever the media service relies on is stated
// once and must hold for both.

const MiB = 1024 * 1024;
const BUCKET = 'chat-media-test';
const PREFIX = 'media/';
/** Long enough for an upload that would complete on its own (loopback) to have done so. */
const SETTLE_MS = 300;

interface Subject {
  readonly storage: MediaStorage;
  /** Waits until the store has taken some of the named file's bytes (S3: a part uploaded). */
  waitUntilStoring(fileName: string): Promise<void>;
  /** Returns as a part of the named file starts on its way (S3: UploadPart sent); disk: at once. */
  waitUntilSending(fileName: string): Promise<void>;
  /** Fails unless nothing of the named file is left: no file, no part, no upload under way. */
  expectNothingLeft(fileName: string): Promise<void>;
  /** S3 only: the multipart uploads started for the file. */
  multipartUploadsOf?(fileName: string): string[];
}

let root: string;
let disk: DiskStorage;
let local: LocalS3;
let s3: S3Storage;
const savedEnv: Record<string, string | undefined> = {};

// What the S3 adapter's client did, seen from the client class (the adapter keeps its client
// private): the multipart uploads it started and the parts it sent.
const created: Array<{ key: string; uploadId: string }> = [];
const partsSent: Array<{ key: string; uploadId: string; partNumber: number }> = [];
const partsStarted: string[] = [];
const onPartStarted: Array<{ key: string; resolve: () => void }> = [];
let sendSpy: jest.SpyInstance | undefined;

function recordS3Calls(): void {
  type Send = (this: S3Client, ...args: unknown[]) => Promise<unknown>;
  const proto = S3Client.prototype as unknown as { send: Send };
  const realSend = proto.send;
  sendSpy = jest.spyOn(proto, 'send').mockImplementation(async function (this: S3Client, ...args: unknown[]) {
    const [command] = args;
    if (command instanceof UploadPartCommand) {
      const key = command.input.Key ?? '';
      partsStarted.push(key);
      // Synchronously, so a waiting test acts while the part is still on its way.
      for (const waiter of onPartStarted.filter((w) => w.key === key)) waiter.resolve();
    }
    const output = await realSend.apply(this, args);
    if (command instanceof CreateMultipartUploadCommand) {
      const { UploadId } = output as CreateMultipartUploadCommandOutput;
      created.push({ key: command.input.Key ?? '', uploadId: UploadId ?? '' });
    } else if (command instanceof UploadPartCommand) {
      const { Key, UploadId, PartNumber } = command.input;
      partsSent.push({ key: Key ?? '', uploadId: UploadId ?? '', partNumber: PartNumber ?? 0 });
    }
    return output;
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'media-storage-'));
  disk = new DiskStorage(root);
  await disk.init();

  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) savedEnv[name] = process.env[name];
  process.env.AWS_ACCESS_KEY_ID = LOCAL_S3_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  local = await startLocalS3();
  await local.createBucket(BUCKET);
  s3 = new S3Storage(s3Config(BUCKET, local.endpoint));
  recordS3Calls();
});

afterAll(async () => {
  sendSpy?.mockRestore();
  await local?.stop();
  if (root) await rm(root, { recursive: true, force: true });
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function s3Config(bucket: string, endpoint: string) {
  return { kind: 's3' as const, bucket, endpoint, region: 'us-east-1', forcePathStyle: true, prefix: PREFIX };
}

const diskSubject = (): Subject => ({
  storage: disk,
  waitUntilStoring: async () => undefined,
  waitUntilSending: async () => undefined,
  async expectNothingLeft(fileName) {
    expect(await disk.pendingParts()).toEqual([]);
    const final = join(root, 'files', fileName.slice(0, 2), fileName);
    expect(existsSync(final)).toBe(false);
    expect(existsSync(`${final}.json`)).toBe(false);
  },
});

const s3Subject = (): Subject => ({
  storage: s3,
  async waitUntilStoring(fileName) {
    const key = PREFIX + fileName;
    const deadline = Date.now() + 20_000;
    while (!partsSent.some((part) => part.key === key)) {
      if (Date.now() > deadline) throw new Error(`no part of ${key} was uploaded`);
      await sleep(20);
    }
  },
  waitUntilSending(fileName) {
    const key = PREFIX + fileName;
    if (partsStarted.includes(key)) return Promise.resolve();
    return new Promise<void>((resolve) => onPartStarted.push({ key, resolve }));
  },
  async expectNothingLeft(fileName) {
    const key = PREFIX + fileName;
    // No multipart upload of it lives on: each one started for the key must be gone (S3
    // answers NoSuchUpload for an aborted or completed upload id). fauxqs has no
    // ListMultipartUploads, so the ids come from the calls the adapter made. First, so an
    // abort that returned before its AbortMultipartUpload went out is caught.
    for (const { uploadId } of created.filter((upload) => upload.key === key)) {
      await expect(
        local.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 1, Body: Buffer.from('x') })),
      ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    }
    await expect(local.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
    const listed = await local.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key }));
    expect(listed.Contents ?? []).toEqual([]);
  },
  multipartUploadsOf: (fileName) => created.filter((upload) => upload.key === PREFIX + fileName).map((upload) => upload.uploadId),
});

/** A name as MediaUrls mints them: base64url and one extension. */
function newName(ext = 'pdf'): string {
  return `${randomBytes(12).toString('base64url')}.${ext}`;
}

const META: StoredFileMeta = { filename: 'résumé 😀.pdf', uploadedBy: 'user-7f3a' };

/** Writes in 64 KiB chunks, minding backpressure; ends the sink (and waits for it) when asked. */
async function writeBytes(sink: Writable, data: Buffer, end: boolean): Promise<void> {
  const chunk = 64 * 1024;
  for (let offset = 0; offset < data.length; offset += chunk) {
    if (!sink.write(data.subarray(offset, offset + chunk))) await once(sink, 'drain');
  }
  if (end) {
    const finished = once(sink, 'finish');
    sink.end();
    await finished;
  }
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function store(storage: MediaStorage, fileName: string, data: Buffer, meta: StoredFileMeta = META): Promise<void> {
  const pending = await storage.create(fileName, meta);
  await writeBytes(pending.sink, data, true);
  await pending.commit();
}

function* chunksOf(data: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

/** Rejects if `promise` has not settled within `ms` (a hang shows as a failure, not a timeout). */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Byte-for-byte, without printing megabytes when they differ. */
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

describe.each<[string, () => Subject]>([
  ['DiskStorage', diskSubject],
  ['S3Storage', s3Subject],
])('MediaStorage contract: %s', (_adapter, subjectOf) => {
  let subject: Subject;
  beforeAll(() => {
    subject = subjectOf();
  });

  it('check() resolves while the store is reachable', async () => {
    await expect(subject.storage.check()).resolves.toBeUndefined();
  });

  it('commit then open gives back the same bytes, size and meta (a unicode display name too)', async () => {
    const name = newName();
    const data = randomBytes(300 * 1024 + 7);
    await store(subject.storage, name, data);

    const opened = await subject.storage.open(name);
    expect(opened).toBeDefined();
    expect(opened!.meta).toEqual(META);
    expect(opened!.size).toBe(data.length);
    expectSameBytes(await readAll(opened!.body), data);
  });

  it('an empty sink commits to an empty file', async () => {
    const name = newName('txt');
    await store(subject.storage, name, Buffer.alloc(0), { filename: 'empty.txt', uploadedBy: 'u' });
    const opened = await subject.storage.open(name);
    expect(opened?.size).toBe(0);
    expect(opened?.meta).toEqual({ filename: 'empty.txt', uploadedBy: 'u' });
    expectSameBytes(await readAll(opened!.body), Buffer.alloc(0));
  });

  it('a 12 MiB file round-trips, and ranges across its 5 MiB boundaries are exact', async () => {
    const name = newName('mp4');
    const data = randomBytes(12 * MiB + 123);
    await store(subject.storage, name, data, { filename: 'clip.mp4', uploadedBy: 'user-1' });

    const opened = await subject.storage.open(name);
    expect(opened?.size).toBe(data.length);
    expect(opened?.meta).toEqual({ filename: 'clip.mp4', uploadedBy: 'user-1' });
    expectSameBytes(await readAll(opened!.body), data);

    for (const range of [
      { start: 5 * MiB - 10, end: 5 * MiB + 9 },
      { start: 10 * MiB - 1, end: 10 * MiB },
      { start: 3 * MiB, end: 11 * MiB },
      { start: data.length - 1, end: data.length - 1 },
    ]) {
      const part = await subject.storage.open(name, () => range);
      expect(part?.size).toBe(data.length);
      expectSameBytes(await readAll(part!.body), data.subarray(range.start, range.end + 1));
    }

    if (subject.multipartUploadsOf) {
      // On S3 it went up as one multipart upload of three parts (5 + 5 + 2 MiB).
      const [uploadId, ...others] = subject.multipartUploadsOf(name);
      expect(others).toEqual([]);
      const parts = partsSent.filter((part) => part.uploadId === uploadId).map((part) => part.partNumber);
      expect(parts.sort()).toEqual([1, 2, 3]);
    }
  });

  it('ranges (both ends included) return exactly those bytes; the whole size is still reported', async () => {
    const name = newName('png');
    const data = randomBytes(1000);
    await store(subject.storage, name, data);

    const ranges: ByteRange[] = [
      { start: 0, end: 0 },
      { start: 0, end: 9 },
      { start: 10, end: 99 },
      { start: 500, end: 749 },
      { start: 999, end: 999 },
      { start: 0, end: 999 },
    ];
    for (const range of ranges) {
      const seen: number[] = [];
      const opened = await subject.storage.open(name, (size) => {
        seen.push(size);
        return range;
      });
      expect(seen).toEqual([data.length]);
      expect(opened?.size).toBe(data.length);
      expect(opened?.meta).toEqual(META);
      expectSameBytes(await readAll(opened!.body), data.subarray(range.start, range.end + 1));
    }

    // A range function that declines gives the whole file.
    const whole = await subject.storage.open(name, () => undefined);
    expectSameBytes(await readAll(whole!.body), data);
  });

  it('nothing is visible before commit, even once every byte is in', async () => {
    const name = newName();
    const data = randomBytes(200 * 1024);
    const pending = await subject.storage.create(name, META);
    await writeBytes(pending.sink, data.subarray(0, 100 * 1024), false);
    expect(await subject.storage.open(name)).toBeUndefined();

    await writeBytes(pending.sink, data.subarray(100 * 1024), true);
    await sleep(SETTLE_MS);
    expect(await subject.storage.open(name)).toBeUndefined();

    await pending.commit();
    const opened = await subject.storage.open(name);
    expectSameBytes(await readAll(opened!.body), data);
  });

  it('abort right after create leaves nothing', async () => {
    const name = newName();
    const pending = await subject.storage.create(name, META);
    await pending.abort();
    expect(await subject.storage.open(name)).toBeUndefined();
    await subject.expectNothingLeft(name);
    // A second abort is harmless; a commit after it is refused.
    await pending.abort();
    await expect(pending.commit()).rejects.toThrow();
  });

  it('abort after some bytes (the sink still open) leaves nothing', async () => {
    const name = newName();
    const pending = await subject.storage.create(name, META);
    await writeBytes(pending.sink, randomBytes(64 * 1024), false);
    await pending.abort();
    expect(await subject.storage.open(name)).toBeUndefined();
    await subject.expectNothingLeft(name);
  });

  it('abort after more than a part was stored (S3: a multipart upload under way) leaves nothing', async () => {
    const name = newName('mp4');
    const pending = await subject.storage.create(name, META);
    await writeBytes(pending.sink, randomBytes(6 * MiB), false);
    await subject.waitUntilStoring(name);
    await pending.abort();
    expect(await subject.storage.open(name)).toBeUndefined();
    await subject.expectNothingLeft(name);
    if (subject.multipartUploadsOf) expect(subject.multipartUploadsOf(name)).toHaveLength(1);
  });

  it('abort while a part is on its way (S3: UploadPart in flight) leaves nothing once it returns', async () => {
    const name = newName('mp4');
    const pending = await subject.storage.create(name, META);
    const sending = subject.waitUntilSending(name);
    await writeBytes(pending.sink, randomBytes(6 * MiB), false);
    await sending;
    await pending.abort();
    // At once: abort has returned, so the part in flight must have been dealt with already.
    await subject.expectNothingLeft(name);
    expect(await subject.storage.open(name)).toBeUndefined();
    if (subject.multipartUploadsOf) expect(subject.multipartUploadsOf(name)).toHaveLength(1);
  });

  // The upload route does this: the whole body is in (the sink ended), then it finds the
  // file too large and aborts instead of committing.
  it.each([
    ['a small file', 100 * 1024],
    ['a 12 MiB file', 12 * MiB],
  ])('abort after the sink ended (%s) leaves nothing', async (_what, bytes) => {
    const name = newName();
    const pending = await subject.storage.create(name, META);
    await writeBytes(pending.sink, randomBytes(bytes), true);
    if (bytes > 5 * MiB) await subject.waitUntilStoring(name);
    await sleep(SETTLE_MS);
    await pending.abort();
    await sleep(SETTLE_MS);
    expect(await subject.storage.open(name)).toBeUndefined();
    await subject.expectNothingLeft(name);
  });

  it('open of a name never stored gives undefined', async () => {
    expect(await subject.storage.open(newName())).toBeUndefined();
    expect(await subject.storage.open(newName('jpg'), () => ({ start: 0, end: 0 }))).toBeUndefined();
  });
});

describe('S3Storage', () => {
  it('an upload the store refuses fails its writer and its commit instead of hanging', async () => {
    const storage = new S3Storage(s3Config('no-such-bucket', local.endpoint));
    const pending = await storage.create(newName('mp4'), META);
    const data = randomBytes(12 * MiB);
    // Past the first part the store is asked (CreateMultipartUpload: NoSuchBucket) and stops
    // reading: the writer must hear of it rather than wait for room in the sink.
    const writing = pipeline(Readable.from(chunksOf(data)), pending.sink);
    await expect(withDeadline(writing, 10_000)).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(withDeadline(pending.commit(), 10_000)).rejects.toThrow();
    await expect(pending.abort()).resolves.toBeUndefined();
  });

  it('check() rejects when the bucket does not exist', async () => {
    await expect(new S3Storage(s3Config('no-such-bucket', local.endpoint)).check()).rejects.toThrow();
  });

  it('check() rejects when nothing answers at the endpoint', async () => {
    const port = await freePort();
    await expect(new S3Storage(s3Config(BUCKET, `http://127.0.0.1:${port}`)).check()).rejects.toThrow();
  });
});

describe('DiskStorage.check()', () => {
  it('rejects when its folders are missing', async () => {
    await expect(new DiskStorage(join(root, 'never-created')).check()).rejects.toThrow();
  });
});
