import { ErrorMessage, type MediaType, type UploadedMedia, mediaTypeSchema } from '@chat/contracts';
import { AccessTokens, MediaUrls, discardRefusedBody, tokenFrom } from '@chat/runtime';
import { Controller, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import contentDisposition from 'content-disposition';
import type { Request, Response } from 'express';
import rangeParser from 'range-parser';
import { servedInline, typeOfFormat } from './media-types';
import type { MediaStorage } from './storage/media-storage';
import { UploadError, receiveUpload } from './upload/receive-upload';

export const MEDIA_DEPENDENCIES = Symbol('MediaDependencies');

export interface MediaDependencies {
  readonly storage: MediaStorage;
  readonly urls: MediaUrls;
  readonly tokens: AccessTokens;
  readonly maxBytes: number;
  readonly sniff: (head: Uint8Array) => Promise<string | undefined>;
}

/**
 * Uploads (`POST /api/media/upload`, the spec's shape) and the files they made
 * (`GET /media/files/<name>`). The gateway forwards both from :3100; this service checks the
 * token again itself, so it is safe even where it can be reached directly.
 */
@Controller()
export class MediaController {
  private readonly logger = new Logger('media');

  constructor(@Inject(MEDIA_DEPENDENCIES) private readonly deps: MediaDependencies) {}

  /** `?accept=image` (comma-separated kinds) narrows what is taken; the group photo uses it. */
  @Post('api/media/upload')
  async upload(@Req() req: Request, @Res() res: Response): Promise<void> {
    const token = this.deps.tokens.verify(tokenFrom(undefined, req.headers.authorization));
    if (!token.ok) return this.refuse(req, res, 401, token.message);
    const kinds = acceptedKinds(req.query.accept);
    if (kinds === undefined) return this.refuse(req, res, 400, `accept must list kinds among ${mediaTypeSchema.options.join(', ')}`);
    let uploaded: UploadedMedia;
    try {
      uploaded = await receiveUpload(req, { ...this.deps, uploadedBy: token.userId, kinds });
    } catch (err) {
      if (err instanceof UploadError) return this.refuse(req, res, err.status, err.message);
      this.logger.error(`upload failed: ${err instanceof Error ? err.stack : String(err)}`);
      return this.refuse(req, res, 500, ErrorMessage.InternalError);
    }
    res.status(201).json({ success: true, data: uploaded });
  }

  @Get('media/files/:name')
  async serve(@Req() req: Request, @Res() res: Response): Promise<void> {
    const name = String(req.params.name);
    const type = this.deps.urls.isIssuedFileName(name) ? typeOfFormat(name.slice(name.lastIndexOf('.') + 1)) : undefined;
    if (type === undefined) {
      res.status(404).json({ success: false, message: ErrorMessage.NotFound });
      return;
    }
    const etag = `"${name}"`;
    // A name is never reused, so a file never changes: cache it for good.
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', etag);
    res.setHeader('Accept-Ranges', 'bytes');
    let status = 200;
    let range: { start: number; end: number } | undefined;
    const opened = await this.deps.storage.open(name, (size) => {
      const header = req.headers.range;
      if (header === undefined || size === 0) return undefined;
      const ranges = rangeParser(size, header, { combine: true });
      if (ranges === -1) {
        status = 416;
        return undefined;
      }
      // Malformed (-2) or several ranges: the whole file, which HTTP allows.
      if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
      range = ranges[0];
      status = 206;
      return range;
    });
    if (opened === undefined) {
      res.status(404).json({ success: false, message: ErrorMessage.NotFound });
      return;
    }
    if (req.headers['if-none-match'] === etag) {
      opened.body.destroy();
      res.status(304).end();
      return;
    }
    if (status === 416) {
      opened.body.destroy();
      res.status(416).setHeader('Content-Range', `bytes */${opened.size}`).end();
      return;
    }
    res.status(status);
    res.setHeader('Content-Type', type.contentType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Nothing here is a page: if a browser opens a file, it runs nothing and loads nothing.
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Content-Disposition', contentDisposition(opened.meta.filename, { type: servedInline(type) ? 'inline' : 'attachment' }));
    res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : opened.size));
    if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${opened.size}`);
    if (req.method === 'HEAD') {
      opened.body.destroy();
      res.end();
      return;
    }
    opened.body.on('error', (err) => {
      this.logger.error(`reading ${name} failed: ${err.message}`);
      res.destroy(err);
    });
    opened.body.pipe(res);
  }

  @Get('health')
  async health(@Res() res: Response): Promise<void> {
    try {
      await this.deps.storage.check();
      res.status(200).json({ status: 'ok', service: 'media' });
    } catch (err) {
      res.status(503).json({ status: 'error', service: 'media', storage: err instanceof Error ? err.message : String(err) });
    }
  }

  private refuse(req: Request, res: Response, status: number, message: string): void {
    discardRefusedBody(req);
    res.status(status).json({ success: false, message });
  }
}

function acceptedKinds(raw: unknown): readonly MediaType[] | undefined {
  if (raw === undefined) return mediaTypeSchema.options;
  if (typeof raw !== 'string') return undefined;
  const kinds = raw.split(',').map((kind) => kind.trim());
  return kinds.every((kind): kind is MediaType => (mediaTypeSchema.options as readonly string[]).includes(kind)) ? kinds : undefined;
}
