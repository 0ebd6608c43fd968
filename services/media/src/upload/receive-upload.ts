import type { UploadedMedia } from '@chat/contracts';
import type { MediaUrls } from '@chat/runtime';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AcceptedType, judgeType } from '../media-types';
import type { MediaStorage } from '../storage/media-storage';
import { displayFilename } from './display-filename';

/** The spec's multipart field. */
export const MEDIA_FIELD = 'media';
/** Bytes read before judging the type: enough for every accepted format's signature. */
const SNIFF_BYTES = 64 * 1024;
/** Room for the multipart framing around the file when judging a declared Content-Length. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const UploadMessage = {
  NotMultipart: `Expected a multipart/form-data body with the file in field '${MEDIA_FIELD}'`,
  Malformed: 'Malformed multipart body',
  NoFile: `No file uploaded: send it in the multipart field '${MEDIA_FIELD}'`,
  Empty: 'The uploaded file is empty',
  Aborted: 'Upload aborted',
  Audio: 'Audio messages are not allowed',
} as const;

export function tooLargeMessage(maxBytes: number): string {
  return `File too large (max ${Math.round(maxBytes / (1024 * 1024))} MB)`;
}

const KIND_NAMES: Readonly<Record<AcceptedType['kind'], string>> = {
  image: 'images (JPEG, PNG, GIF, WebP)',
  video: 'videos (MP4, MOV, AVI, WebM, MKV, MPEG, 3GP, Ogg)',
  file: 'documents (PDF, Word, Excel, PowerPoint, OpenDocument, RTF, EPUB, ZIP)',
};

export function unsupportedTypeMessage(kinds: readonly AcceptedType['kind'][]): string {
  return `Unsupported file type; allowed: ${kinds.map((kind) => KIND_NAMES[kind]).join(', ')}`;
}

export interface UploadOptions {
  readonly storage: MediaStorage;
  readonly urls: MediaUrls;
  readonly maxBytes: number;
  readonly uploadedBy: string;
  /** Narrows what is accepted (a group photo takes images only). */
  readonly kinds?: readonly AcceptedType['kind'][];
  /** Judges a file's type from its first bytes (the file-type library; loaded as ESM). */
  readonly sniff: (head: Uint8Array) => Promise<string | undefined>;
}

/**
 * Takes one file from a multipart request as it streams in: its first bytes decide the type
 * (415 unless accepted), the rest goes straight to storage while busboy counts it (413 past
 * `maxBytes`). The file becomes visible only once whole; on any failure (too large, wrong
 * type, the client going away) nothing is left behind. The request body is never held in
 * memory beyond the first SNIFF_BYTES.
 */
export function receiveUpload(req: IncomingMessage, options: UploadOptions): Promise<UploadedMedia> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBytes + MULTIPART_OVERHEAD_BYTES) {
    return Promise.reject(new UploadError(413, tooLargeMessage(options.maxBytes)));
  }
  if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
    return Promise.reject(new UploadError(400, UploadMessage.NotMultipart));
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Browsers and fetch send file names as raw UTF-8; busboy's default would read latin1.
      defParamCharset: 'utf8',
      // busboy marks a file truncated once it reaches the limit, even when nothing follows:
      // one byte more lets a file of exactly maxBytes through and still stops maxBytes + 1.
      limits: { files: 1, fileSize: options.maxBytes + 1, fields: 20, fieldSize: 64 * 1024, parts: 40, headerPairs: 50 },
    });
  } catch {
    return Promise.reject(new UploadError(400, UploadMessage.Malformed));
  }

  return new Promise<UploadedMedia>((resolve, reject) => {
    let stored: Promise<UploadedMedia> | undefined;
    let current: Readable | undefined;
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      current?.destroy(err instanceof Error ? err : new Error(String(err)));
      // Whatever was being stored is aborted by storeFile itself; wait for that, so no part
      // file outlives the answer.
      void (stored ?? Promise.resolve()).catch(() => undefined).then(() => reject(err));
    };

    parser.on('file', (field, file, info) => {
      if (field !== MEDIA_FIELD || stored !== undefined) {
        file.resume();
        return;
      }
      current = file;
      stored = storeFile(file, info.filename, options);
      stored.catch(fail);
    });
    parser.on('error', () => fail(new UploadError(400, UploadMessage.Malformed)));
    parser.on('close', () => {
      if (failed) return;
      if (stored === undefined) fail(new UploadError(400, UploadMessage.NoFile));
      else stored.then(resolve, fail);
    });
    // A client that goes away mid-body: busboy would wait for the rest forever.
    req.on('close', () => {
      if (!req.complete) fail(new UploadError(400, UploadMessage.Aborted));
    });
    req.pipe(parser);
  });
}

async function storeFile(file: Readable & { truncated?: boolean }, givenName: string | undefined, options: UploadOptions): Promise<UploadedMedia> {
  const chunks = file[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const first = Buffer.concat(head);
  if (file.truncated) throw new UploadError(413, tooLargeMessage(options.maxBytes));
  if (first.length === 0) throw new UploadError(400, UploadMessage.Empty);

  const verdict = judgeType(await options.sniff(first));
  const kinds = options.kinds ?? (['image', 'video', 'file'] as const);
  if (!verdict.accepted) throw new UploadError(415, verdict.audio ? UploadMessage.Audio : unsupportedTypeMessage(kinds));
  const { type } = verdict;
  if (!kinds.includes(type.kind)) throw new UploadError(415, unsupportedTypeMessage(kinds));

  const fileName = options.urls.mintFileName(type.format);
  const filename = displayFilename(givenName, type.format);
  const pending = await options.storage.create(fileName, { filename, uploadedBy: options.uploadedBy });
  let size = 0;
  async function* whole(): AsyncGenerator<Buffer> {
    size += first.length;
    yield first;
    if (ended) return;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      size += next.value.length;
      yield next.value;
    }
  }
  try {
    await pipeline(Readable.from(whole()), pending.sink);
    // busboy stops a file at the limit and marks it truncated: the upload was larger.
    if (file.truncated) throw new UploadError(413, tooLargeMessage(options.maxBytes));
    await pending.commit();
  } catch (err) {
    await pending.abort();
    throw err;
  }
  return { url: options.urls.urlOf(fileName), type: type.kind, format: type.format, fileSize: size, filename };
}
