import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { join, relative } from 'node:path';

// The HTTP side of the media service's integration test: multipart bodies built by hand (so a
// test controls every byte: hostile file names, fields, framing), uploads over fetch with or
// without a Content-Length, an upload that dies half way, and what is on disk.

export interface Part {
  readonly name: string;
  /** Present: a file part. */
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Buffer | string;
}

export interface Multipart {
  readonly body: Buffer;
  readonly contentType: string;
}

/** A multipart/form-data body, as a browser would frame it (a `"` in a file name sent as %22). */
export function multipart(parts: readonly Part[]): Multipart {
  const boundary = `----media-int-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename.replace(/"/g, '%22')}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'utf8'), typeof part.data === 'string' ? Buffer.from(part.data, 'utf8') : part.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** One file in the field `media`. */
export function fileBody(data: Buffer, filename: string, contentType = 'application/octet-stream'): Multipart {
  return multipart([{ name: 'media', filename, contentType, data }]);
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface UploadOptions {
  /** Omitted: no Authorization header. */
  readonly token?: string;
  /** Appended to the path as is, e.g. `?accept=image`. */
  readonly query?: string;
  /** Send without a Content-Length (Transfer-Encoding: chunked). */
  readonly chunked?: boolean;
  readonly contentType?: string;
}

export class MediaClient {
  constructor(readonly baseUrl: string) {}

  get port(): number {
    return Number(new URL(this.baseUrl).port);
  }

  /** POST /api/media/upload with this body; the answer parsed as JSON. */
  async upload(body: Multipart | Buffer, options: UploadOptions = {}): Promise<Answer> {
    const bytes = Buffer.isBuffer(body) ? body : body.body;
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? (Buffer.isBuffer(body) ? 'application/octet-stream' : body.contentType),
    };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers };
    if (options.chunked) {
      init.body = chunkedStream(bytes);
      init.duplex = 'half';
    } else {
      init.body = bytes;
    }
    const response = await fetch(`${this.baseUrl}/api/media/upload${options.query ?? ''}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  /** POST /api/media/upload with a FormData body, framed by fetch itself (as a browser would). */
  async uploadForm(form: FormData, token: string): Promise<Answer> {
    const response = await fetch(`${this.baseUrl}/api/media/upload`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
  }

  /** The path part of an issued url, fetched from this service. */
  fileUrl(nameOrUrl: string): string {
    const name = nameOrUrl.slice(nameOrUrl.lastIndexOf('/') + 1);
    return `${this.baseUrl}/media/files/${name}`;
  }

  async get(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
    const response = await fetch(path.startsWith('http') ? path : `${this.baseUrl}${path}`, init);
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  /**
   * Sends only the headers of an upload (the declared Content-Length included) and waits for
   * an answer the service gives without the body; then hangs up.
   */
  async answerWithoutBody(body: Multipart, token: string): Promise<Answer> {
    const req = this.rawUpload(body, token);
    req.on('error', () => undefined);
    req.flushHeaders();
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
      });
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      return { status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } finally {
      req.destroy();
    }
  }

  /**
   * Writes the whole body as fast as the connection takes it, whatever the service answers
   * meanwhile: the status it answered (if it got through) and the error writing met (if any).
   */
  async sendWhole(body: Multipart, token: string | undefined): Promise<{ status: number | undefined; error: string | undefined }> {
    const req = this.rawUpload(body, token);
    let status: number | undefined;
    let error: string | undefined;
    await new Promise<void>((resolve) => {
      let sent = false;
      let answered = false;
      const done = (): void => {
        if (sent && answered) resolve();
      };
      req.on('response', (res) => {
        status = res.statusCode;
        res.on('end', () => {
          answered = true;
          done();
        });
        res.on('error', () => undefined);
        res.resume();
      });
      req.on('finish', () => {
        sent = true;
        done();
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        error = err.code ?? err.message;
        resolve();
      });
      req.end(body.body);
    });
    req.destroy();
    return { status, error };
  }

  private rawUpload(body: Multipart, token: string | undefined): ClientRequest {
    // keep-alive, as browsers and fetch ask for it.
    const headers: Record<string, string> = { 'content-type': body.contentType, 'content-length': String(body.body.length), connection: 'keep-alive' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    return request({ host: new URL(this.baseUrl).hostname, port: this.port, method: 'POST', path: '/api/media/upload', headers, agent: false });
  }

  /**
   * Sends the headers and the first `sentBytes` of `body` over node:http, waits until
   * `whenSent` holds (the service is storing it), then destroys the socket mid-body.
   */
  async abortMidBody(body: Multipart, token: string, sentBytes: number, whenSent: () => Promise<void>): Promise<void> {
    const req = this.rawUpload(body, token);
    const failed = new Promise<void>((resolve) => req.once('error', () => resolve()));
    let answered = false;
    req.once('response', (res) => {
      answered = true;
      res.resume();
    });
    await new Promise<void>((resolve, reject) => req.write(body.body.subarray(0, sentBytes), (err) => (err ? reject(err) : resolve())));
    try {
      await whenSent();
    } finally {
      req.destroy(new Error('client went away'));
      await failed;
    }
    if (answered) throw new Error('the service answered an upload whose body was still arriving');
  }
}

function chunkedStream(bytes: Buffer, chunkSize = 256 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + chunkSize)));
      offset += chunkSize;
    },
  });
}

/** Every file under `dir`, as paths relative to it (sorted; empty when `dir` is missing). */
export function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}
