import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { type ByteRange, type MediaStorage, type OpenedFile, type PendingFile, type StoredFileMeta, pendingFile } from './media-storage';

/** Parts older than this are left from a crash (a live upload of 20 MB takes far less). */
const STALE_PART_MS = 60 * 60 * 1000;

/**
 * Files on local disk under MEDIA_DIR, which lies outside every folder anything serves:
 *
 *   incoming/<uuid>.part      an upload in progress; renamed into files/ only when whole
 *   files/<ab>/<name>         committed files, fanned out by the first two characters
 *   files/<ab>/<name>.json    what is kept beside them (StoredFileMeta)
 *
 * The rename is atomic on one file system, so a reader sees a whole file or none.
 */
export class DiskStorage implements MediaStorage {
  private readonly incoming: string;
  private readonly files: string;

  constructor(root: string) {
    this.incoming = join(root, 'incoming');
    this.files = join(root, 'files');
  }

  /** Creates the folders and removes parts a crashed process left behind. */
  async init(): Promise<void> {
    await mkdir(this.incoming, { recursive: true });
    await mkdir(this.files, { recursive: true });
    const now = Date.now();
    for (const entry of await readdir(this.incoming)) {
      const path = join(this.incoming, entry);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_PART_MS) await unlink(path).catch(() => undefined);
    }
  }

  async create(fileName: string, meta: StoredFileMeta): Promise<PendingFile> {
    const part = join(this.incoming, `${randomUUID()}.part`);
    const sink = createWriteStream(part, { flags: 'wx', mode: 0o640 });
    const final = this.pathOf(fileName);
    return pendingFile(sink, {
      commit: async () => {
        await finished(sink);
        await mkdir(join(final, '..'), { recursive: true });
        await writeFile(`${final}.json`, JSON.stringify(meta), { flag: 'wx', mode: 0o640 });
        await rename(part, final);
      },
      abort: async () => {
        sink.destroy();
        // The write stream may still be opening the part: wait for it to close before unlinking.
        await finished(sink).catch(() => undefined);
        await unlink(part).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      },
    });
  }

  async open(fileName: string, range?: (size: number) => ByteRange | undefined): Promise<OpenedFile | undefined> {
    const path = this.pathOf(fileName);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const meta = JSON.parse(await readFile(`${path}.json`, 'utf8')) as StoredFileMeta;
    const wanted = range?.(info.size);
    const body = createReadStream(path, wanted ? { start: wanted.start, end: wanted.end } : {});
    return { meta, size: info.size, body };
  }

  async check(): Promise<void> {
    await access(this.incoming, constants.W_OK);
    await access(this.files, constants.W_OK);
  }

  /** Incoming parts (for tests: an aborted upload must leave none). */
  async pendingParts(): Promise<string[]> {
    return readdir(this.incoming);
  }

  private pathOf(fileName: string): string {
    // Names come from MediaUrls (base64url and one dot), checked before they get here; this
    // refuses anything else again, so no name can ever climb out of the folder.
    if (!/^[A-Za-z0-9_-]+\.[a-z0-9]+$/.test(fileName)) throw new Error(`not a stored file name: '${fileName}'`);
    return join(this.files, fileName.slice(0, 2), fileName);
  }
}
