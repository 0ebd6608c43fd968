import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, NotFound, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { StorageConfig } from '../media-config';
import { type ByteRange, type MediaStorage, type OpenedFile, type PendingFile, type StoredFileMeta, pendingFile } from './media-storage';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

/**
 * Files in an S3-compatible bucket. An upload streams through lib-storage's multipart
 * Upload (5 MiB parts, two in flight, so at most ~10 MiB of a file is in memory); S3 shows
 * an object only once the upload completes, and an aborted one has its parts deleted, so a
 * reader never sees part of a file. The display name rides along as object metadata.
 *
 * The Upload reads a body of its own that only `commit` ends: lib-storage completes the
 * object (PutObject, or CompleteMultipartUpload) as soon as its body ends, so handing it the
 * caller's sink would show the file once the bytes are in, before (or without) a commit.
 */
export class S3Storage implements MediaStorage {
  private readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      forcePathStyle: config.forcePathStyle,
    });
  }

  async create(fileName: string, meta: StoredFileMeta): Promise<PendingFile> {
    // What the caller writes is piped on into `body`, which only commit ends.
    const sink = new PassThrough();
    const body = new PassThrough();
    sink.pipe(body, { end: false });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.config.bucket,
        Key: this.keyOf(fileName),
        Body: body,
        // Object metadata travels as HTTP headers: ASCII only.
        Metadata: { filename: encodeURIComponent(meta.filename), 'uploaded-by': meta.uploadedBy },
      },
      queueSize: 2,
      partSize: 5 * 1024 * 1024,
      leavePartsOnError: false,
    });
    const done = upload.done();
    // Observed by commit or abort; never an unhandled rejection in between. An upload that
    // fails on its own (the store went away) stops reading: fail the sink too, or its writer
    // (and a commit waiting for the sink to drain) would wait on it forever.
    done.catch((err: unknown) => {
      sink.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    return pendingFile(sink, {
      commit: async () => {
        // Every byte written has been handed to the body; only now may the upload complete.
        await finished(sink);
        body.end();
        await done;
      },
      abort: async () => {
        // A body that fails (rather than ends) makes lib-storage stop, wait for the parts in
        // flight and abort the multipart upload (AbortMultipartUpload) before done settles:
        // once that has happened nothing is left, and nothing can complete later.
        body.destroy(new Error('upload aborted'));
        sink.destroy();
        await done.catch(() => undefined);
      },
    });
  }

  async open(fileName: string, range?: (size: number) => ByteRange | undefined): Promise<OpenedFile | undefined> {
    const Key = this.keyOf(fileName);
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key }));
    } catch (err) {
      if (err instanceof NotFound || err instanceof NoSuchKey || (err as { name?: string }).name === 'NotFound') return undefined;
      throw err;
    }
    const size = head.ContentLength ?? 0;
    const wanted = range?.(size);
    const object = await this.client.send(
      new GetObjectCommand({ Bucket: this.config.bucket, Key, ...(wanted ? { Range: `bytes=${wanted.start}-${wanted.end}` } : {}) }),
    );
    const metadata = head.Metadata ?? {};
    const meta: StoredFileMeta = {
      filename: decodeURIComponent(metadata.filename ?? fileName),
      uploadedBy: metadata['uploaded-by'] ?? '',
    };
    const body = object.Body instanceof Readable ? object.Body : Readable.from([]);
    return { meta, size, body };
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
  }

  private keyOf(fileName: string): string {
    return `${this.config.prefix}${fileName}`;
  }
}
