import { Controller, Get, Inject, Logger, Next, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { UserGuard } from '../rest/rest-auth';
import { MEDIA_UNAVAILABLE, MediaUploads } from './media-uploads';

/**
 * Uploads and files on the public port: `POST /api/media/upload` once the caller is a known
 * user (the media service checks the token again), and the files the uploads made, streamed
 * from the media service with its headers (type, nosniff, disposition, ranges) untouched.
 */
@Controller()
export class MediaController {
  private readonly logger = new Logger('media');
  private readonly files: (req: Request, res: Response, next: NextFunction) => unknown;

  constructor(
    private readonly uploads: MediaUploads,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.files = createProxyMiddleware<Request, Response>({
      target: config.mediaUrl,
      // Only what a download needs goes on; the client's cookies and tokens stay here.
      on: {
        proxyReq: (proxyReq) => {
          for (const header of ['cookie', 'authorization']) proxyReq.removeHeader(header);
        },
        error: (err, _req, res) => {
          this.logger.warn(`media file proxy: ${err.message}`);
          if ('headersSent' in res && !res.headersSent) {
            res.writeHead(503, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ success: false, message: MEDIA_UNAVAILABLE }));
          } else res.destroy();
        },
      },
    });
  }

  @Post('api/media/upload')
  @UseGuards(UserGuard)
  async upload(@Req() req: Request, @Res() res: Response): Promise<void> {
    const answer = await this.uploads.upload(req);
    res.status(answer.status).json(answer.body);
  }

  /** GET and HEAD (Express answers HEAD with the GET route). */
  @Get('media/files/:name')
  serve(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    void this.files(req, res, next);
  }
}
