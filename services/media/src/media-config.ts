import { dataRoot, intFromEnv } from '@chat/runtime';
import { join } from 'node:path';

export type StorageConfig =
  | { readonly kind: 'disk'; readonly dir: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly endpoint: string | undefined;
      readonly region: string;
      readonly forcePathStyle: boolean;
      readonly prefix: string;
    };

export interface MediaConfig {
  readonly port: number;
  readonly host: string | undefined;
  /** The spec's 20 MB: 20 MiB, counted while the file streams in. */
  readonly maxBytes: number;
  readonly storage: StorageConfig;
}

/**
 * MEDIA_PORT (3104), MEDIA_MAX_BYTES (20 MiB), MEDIA_STORAGE (`disk`, or `s3`). Disk: MEDIA_DIR
 * (default .data/media, git-ignored and outside every served folder). S3: MEDIA_S3_BUCKET,
 * MEDIA_S3_ENDPOINT (unset: AWS itself), MEDIA_S3_REGION (us-east-1), MEDIA_S3_FORCE_PATH_STYLE
 * (true for most S3-compatible stores), MEDIA_S3_PREFIX; credentials come the AWS SDK's way
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles).
 */
export function loadMediaConfig(env: NodeJS.ProcessEnv = process.env): MediaConfig {
  const kind = env.MEDIA_STORAGE?.trim() || 'disk';
  let storage: StorageConfig;
  if (kind === 'disk') {
    storage = { kind, dir: env.MEDIA_DIR?.trim() || join(dataRoot(env), 'media') };
  } else if (kind === 's3') {
    const bucket = env.MEDIA_S3_BUCKET?.trim();
    if (!bucket) throw new Error('MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET');
    storage = {
      kind,
      bucket,
      endpoint: env.MEDIA_S3_ENDPOINT?.trim() || undefined,
      region: env.MEDIA_S3_REGION?.trim() || 'us-east-1',
      forcePathStyle: (env.MEDIA_S3_FORCE_PATH_STYLE?.trim() || 'true') === 'true',
      prefix: env.MEDIA_S3_PREFIX?.trim() ?? '',
    };
  } else {
    throw new Error(`MEDIA_STORAGE must be 'disk' or 's3', got '${kind}'`);
  }
  return {
    port: intFromEnv(env, 'MEDIA_PORT', 3104, 1),
    host: env.HOST?.trim() || undefined,
    maxBytes: intFromEnv(env, 'MEDIA_MAX_BYTES', 20 * 1024 * 1024, 1),
    storage,
  };
}
