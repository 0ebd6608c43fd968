import type { StorageConfig } from '../media-config';
import { DiskStorage } from './disk-storage';
import type { MediaStorage } from './media-storage';
import { S3Storage } from './s3-storage';

export async function createStorage(config: StorageConfig): Promise<MediaStorage> {
  if (config.kind === 'disk') {
    const disk = new DiskStorage(config.dir);
    await disk.init();
    return disk;
  }
  return new S3Storage(config);
}
