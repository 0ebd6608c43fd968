import { ErrorMessage } from '@chat/contracts';
import { discardRefusedBody } from '@chat/runtime';
import { HttpStatus } from '@nestjs/common';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { RestError } from '../rest/rest-errors';

export const MEDIA_UNAVAILABLE = 'Media service unavailable';

/** The media service's answer to a forwarded upload. */
export interface MediaAnswer {
  readonly status: number;
  readonly body: unknown;
}

class MediaUnavailableError extends Error {}

/** Answers are small JSON documents; anything longer is not one. */
const ANSWER_MAX_BYTES = 64 * 1024;

/**
 * Forwards an upload's body, as it streams in, to the media service, which judges and stores
 * it, and returns the service's JSON answer. A client that goes away mid-upload takes the
 * forwarded request down with it, so the media service drops what it had.
 */
export class MediaUploads {
  constructor(
    private readonly mediaUrl: string,
    private readonly timeoutMs = 120_000,
  ) {}

  /**
   * The media service's answer to the request's upload; 503 when the service cannot be
   * reached. Whatever of the body the service did not read is drained (it may have refused
   * the file before its end).
   */
  async upload(req: IncomingMessage, accept?: string): Promise<MediaAnswer> {
    const answer = await this.forward(req, accept).catch((err: unknown) => {
      if (err instanceof MediaUnavailableError) throw new RestError(HttpStatus.SERVICE_UNAVAILABLE, MEDIA_UNAVAILABLE);
      throw err;
    });
    discardRefusedBody(req);
    return answer;
  }

  private forward(req: IncomingMessage, accept?: string): Promise<MediaAnswer> {
    const target = new URL('/api/media/upload', this.mediaUrl);
    if (accept !== undefined) target.searchParams.set('accept', accept);
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'content-length', 'transfer-encoding', 'authorization']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return new Promise<MediaAnswer>((resolve, reject) => {
      const upstream = request(target, { method: 'POST', headers, timeout: this.timeoutMs });
      upstream.on('timeout', () => upstream.destroy(new MediaUnavailableError('media service timed out')));
      upstream.on('error', (err) => {
        req.unpipe(upstream);
        reject(err instanceof MediaUnavailableError ? err : new MediaUnavailableError(err.message));
      });
      upstream.on('response', (answer) => {
        // The service may answer before the body is all sent (too large, wrong type): stop
        // forwarding; the caller deals with the rest of the client's body.
        req.unpipe(upstream);
        const chunks: Buffer[] = [];
        let length = 0;
        answer.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length > ANSWER_MAX_BYTES) answer.destroy(new MediaUnavailableError('media service answer too long'));
          else chunks.push(chunk);
        });
        answer.on('error', (err) => reject(new MediaUnavailableError(err.message)));
        answer.on('end', () => {
          try {
            resolve({ status: answer.statusCode ?? 502, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
          } catch {
            reject(new MediaUnavailableError('media service answered something other than JSON'));
          }
        });
      });
      req.on('close', () => {
        if (!req.complete) upstream.destroy(new MediaUnavailableError('client went away'));
      });
      req.pipe(upstream);
    });
  }
}

/** The message of a media service refusal, for relaying it as the gateway's own. */
export function refusalMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return ErrorMessage.InternalError;
}
