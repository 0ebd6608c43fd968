// First: the tracing instrumentations patch libraries as they load.
import { TelemetryShutdown } from '@chat/runtime/telemetry';
import 'reflect-metadata';
import { AccessTokens, jwtSecretFromEnv, mediaUrlsFromEnv } from '@chat/runtime';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MEDIA_DEPENDENCIES, MediaController, type MediaDependencies } from './media.controller';
import { loadMediaConfig } from './media-config';
import { createStorage } from './storage/create-storage';

/** The media service: uploads and the files they made, on MEDIA_PORT (3104). */
async function bootstrap(): Promise<void> {
  const logger = new Logger('media');
  const config = loadMediaConfig();
  // file-type is an ES module; a dynamic import is how CommonJS loads one.
  const { fileTypeFromBuffer } = await import('file-type');
  const storage = await createStorage(config.storage);
  const deps: MediaDependencies = {
    storage,
    urls: mediaUrlsFromEnv(),
    tokens: new AccessTokens(jwtSecretFromEnv()),
    maxBytes: config.maxBytes,
    sniff: async (head) => (await fileTypeFromBuffer(head))?.mime,
  };

  @Module({ controllers: [MediaController], providers: [{ provide: MEDIA_DEPENDENCIES, useValue: deps }, TelemetryShutdown] })
  class MediaModule {}

  // No body parser: uploads are read as streams, by the upload handler alone.
  const app = await NestFactory.create<NestExpressApplication>(MediaModule, { logger: ['error', 'warn', 'log'], bodyParser: false });
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  if (config.host === undefined) await app.listen(config.port);
  else await app.listen(config.port, config.host);
  const where = config.storage.kind === 'disk' ? config.storage.dir : `s3://${config.storage.bucket}/${config.storage.prefix}`;
  logger.log(`serving media on http://${config.host ?? 'localhost'}:${config.port} (${config.storage.kind}: ${where})`);
}

bootstrap().catch((err: unknown) => {
  console.error('media failed to start:', err);
  process.exit(1);
});
