import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Where every uploaded file is served, under the public base url. */
export const MEDIA_FILES_PATH = '/media/files/';

const RANDOM_BYTES = 16;
const MAC_BYTES = 12;
/** base64url of RANDOM_BYTES + MAC_BYTES, then a dot and a lower-case extension. */
const FILE_NAME = /^([A-Za-z0-9_-]{38})\.([a-z0-9]{1,8})$/;

export const DEV_MEDIA_URL_SECRET = 'dev-media-url-secret';

export interface MediaUrlOptions {
  /** The origin (and optional path prefix) clients reach files at, e.g. `http://localhost:3100`. */
  readonly publicBaseUrl: string;
  /** Keys the MAC inside every file name; shared by the media service and the write side. */
  readonly secret: string;
  /** Hosts whose urls messages may carry although this system did not issue them. */
  readonly externalHosts: readonly string[];
}

/**
 * The names of uploaded files and the urls they are served at. A name is 128 random bits
 * followed by a MAC of them, so nobody can guess one (the url is the only capability a
 * reader needs) and any service holding the secret can tell, without a lookup, that a url was
 * issued here: the write side accepts in messages only urls it can verify this way, or urls
 * on hosts the operator allowed.
 */
export class MediaUrls {
  private readonly base: string;
  private readonly externalHosts: ReadonlySet<string>;

  constructor(private readonly options: MediaUrlOptions) {
    const base = new URL(options.publicBaseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`MEDIA_PUBLIC_URL must be http(s), got '${options.publicBaseUrl}'`);
    this.base = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.externalHosts = new Set(options.externalHosts.map((host) => host.toLowerCase()));
  }

  /** A fresh file name with the given extension (from the file's bytes, never the client's name). */
  mintFileName(extension: string): string {
    if (!/^[a-z0-9]{1,8}$/.test(extension)) throw new Error(`not a file extension: '${extension}'`);
    const random = randomBytes(RANDOM_BYTES);
    return `${Buffer.concat([random, this.mac(random)]).toString('base64url')}.${extension}`;
  }

  urlOf(fileName: string): string {
    return `${this.base}${MEDIA_FILES_PATH}${fileName}`;
  }

  /** True for names {@link mintFileName} made with this secret; anything else names no file. */
  isIssuedFileName(fileName: string): boolean {
    const match = FILE_NAME.exec(fileName);
    if (!match) return false;
    const bytes = Buffer.from(match[1] as string, 'base64url');
    if (bytes.length !== RANDOM_BYTES + MAC_BYTES) return false;
    return timingSafeEqual(bytes.subarray(RANDOM_BYTES), this.mac(bytes.subarray(0, RANDOM_BYTES)));
  }

  /** The file name of a url this system issued, else undefined. */
  issuedFileNameOf(url: string): string | undefined {
    const prefix = `${this.base}${MEDIA_FILES_PATH}`;
    if (!url.startsWith(prefix)) return undefined;
    const fileName = url.slice(prefix.length);
    return this.isIssuedFileName(fileName) ? fileName : undefined;
  }

  /** What a message may reference: a file issued here, or anything on an allowed host. */
  isAllowed(url: string): boolean {
    if (this.issuedFileNameOf(url) !== undefined) return true;
    let host: string;
    try {
      host = new URL(url).hostname.toLowerCase();
    } catch {
      return false;
    }
    return this.externalHosts.has(host);
  }

  private mac(random: Buffer): Buffer {
    return createHmac('sha256', this.options.secret).update(random).digest().subarray(0, MAC_BYTES);
  }
}

/**
 * MEDIA_PUBLIC_URL (default http://localhost:3100, where the gateway serves files),
 * MEDIA_URL_SECRET (the development default is refused in production) and
 * MEDIA_ALLOWED_HOSTS (comma-separated host names, none by default).
 */
export function mediaUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): MediaUrls {
  const secret = env.MEDIA_URL_SECRET?.trim() || DEV_MEDIA_URL_SECRET;
  if (env.NODE_ENV === 'production' && secret === DEV_MEDIA_URL_SECRET) {
    throw new Error('MEDIA_URL_SECRET is the development default; set a secret of your own when NODE_ENV=production');
  }
  return new MediaUrls({
    publicBaseUrl: env.MEDIA_PUBLIC_URL?.trim() || 'http://localhost:3100',
    secret,
    externalHosts: (env.MEDIA_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean),
  });
}
