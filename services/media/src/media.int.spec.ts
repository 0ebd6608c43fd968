import { ErrorMessage, FILENAME_MAX_CHARS } from '@chat/contracts';
import { AccessTokens, DEV_JWT_SECRET, MediaUrls, freePort } from '@chat/runtime';
import { ServiceProcess, buildWorkspaces, waitFor } from '@chat/runtime/testing';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Answer, MediaClient, fileBody, filesUnder, multipart } from './testing/media-client';
import {
  ALLOWED_SAMPLES,
  disguisedScript,
  gif,
  html,
  jpeg,
  mp3,
  mp4,
  pdf,
  pdfPadded,
  png,
  svg,
  wav,
} from './testing/sample-files';

// The media service as its own process (dist/main.js, disk storage in a fresh temp folder),
// spoken to only over HTTP: every accepted type in and back out byte for byte, refused types,
// the 20 MiB limit with and without a Content-Length, a client dying mid-upload, hostile file
// names, bad requests, and how files are served. Every refusal is followed by an upload that
// must still succeed, and must have left nothing on disk.

const MAX_BYTES = 20 * 1024 * 1024;
const TOO_LARGE = 'File too large (max 20 MB)';
const UNSUPPORTED_ALL =
  'Unsupported file type; allowed: images (JPEG, PNG, GIF, WebP), videos (MP4, MOV, AVI, WebM, MKV, MPEG, 3GP, Ogg), ' +
  'documents (PDF, Word, Excel, PowerPoint, OpenDocument, RTF, EPUB, ZIP)';
const UNSUPPORTED_IMAGES = 'Unsupported file type; allowed: images (JPEG, PNG, GIF, WebP)';
const NO_FILE = "No file uploaded: send it in the multipart field 'media'";
const NOT_MULTIPART = "Expected a multipart/form-data body with the file in field 'media'";
const PUBLIC_URL = 'https://media.example.test/chat';
const URL_SECRET = 'media-int-url-secret';
/** base64url of 16 random bytes and a 12-byte MAC, a dot, the format. */
const ISSUED_NAME = /^[A-Za-z0-9_-]{38}\.[a-z0-9]{1,8}$/;

const tokens = new AccessTokens(DEV_JWT_SECRET);
const token = tokens.sign('media-int-user');

let root: string;
let mediaDir: string;
let service: ServiceProcess;
let client: MediaClient;

beforeAll(async () => {
  buildWorkspaces();
  // MEDIA_DIR lies inside a folder of our own, so a file written beside it would show.
  root = mkdtempSync(join(tmpdir(), 'media-int-'));
  mediaDir = join(root, 'media');
  mkdirSync(mediaDir);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MEDIA_PORT: String(port),
    HOST: '127.0.0.1',
    MEDIA_STORAGE: 'disk',
    MEDIA_DIR: mediaDir,
    MEDIA_PUBLIC_URL: PUBLIC_URL,
    MEDIA_URL_SECRET: URL_SECRET,
    JWT_SECRET: DEV_JWT_SECRET,
  };
  // The limit under test is the default one.
  delete env.MEDIA_MAX_BYTES;
  service = new ServiceProcess({ service: 'media', env });
  await service.start();
  client = new MediaClient(`http://127.0.0.1:${port}`);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

interface Uploaded {
  readonly url: string;
  readonly type: string;
  readonly format: string;
  readonly fileSize: number;
  readonly filename: string;
}

/** The `data` of a 201, after checking the whole answer's shape. */
function uploaded(answer: Answer): Uploaded {
  expect(answer.status).toBe(201);
  expect(answer.body).toEqual({
    success: true,
    data: { url: expect.any(String), type: expect.any(String), format: expect.any(String), fileSize: expect.any(Number), filename: expect.any(String) },
  });
  const { data } = answer.body as { data: Uploaded };
  expect(Object.keys(data).sort()).toEqual(['fileSize', 'filename', 'format', 'type', 'url']);
  return data;
}

function expectRefused(answer: Answer, status: number, message: string | RegExp): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: { success: false, message: typeof message === 'string' ? message : expect.stringMatching(message) },
  });
}

/** The issued name at the end of a url (also the stored file's name). */
function nameOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** Where the disk storage keeps a committed file. */
function storedPath(name: string): string {
  return join(mediaDir, 'files', name.slice(0, 2), name);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What is on disk now: refusals must leave it exactly so. */
function snapshot(): { readonly incoming: string[]; readonly files: string[] } {
  return { incoming: filesUnder(join(mediaDir, 'incoming')), files: filesUnder(join(mediaDir, 'files')) };
}

function expectNothingStoredSince(before: ReturnType<typeof snapshot>): void {
  expect(snapshot()).toEqual({ incoming: [], files: before.files });
}

/** A valid upload right after a refusal: the service is still up and still storing. */
async function expectStillServing(): Promise<void> {
  const bytes = png();
  const data = uploaded(await client.upload(fileBody(bytes, 'after.png', 'image/png'), { token }));
  expect(data).toMatchObject({ type: 'image', format: 'png', fileSize: bytes.length, filename: 'after.png' });
  const served = await client.get(client.fileUrl(data.url));
  expect(served.status).toBe(200);
  expect(served.bytes.equals(bytes)).toBe(true);
}

/** A refusal: the exact answer, nothing left on disk, and the service still taking uploads. */
async function expectRefusal(send: () => Promise<Answer>, status: number, message: string | RegExp): Promise<void> {
  const before = snapshot();
  expectRefused(await send(), status, message);
  expectNothingStoredSince(before);
  await expectStillServing();
}

describe('the media service', () => {
  it('answers its health check', async () => {
    const response = await fetch(`${client.baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'media' });
  });

  describe('accepts every allowed type, judged by its bytes, and serves it back unchanged', () => {
    it.each(ALLOWED_SAMPLES.map((sample) => [sample.label, sample] as const))('%s', async (_label, sample) => {
      const bytes = sample.build();
      const filename = `sample ${sample.label}.${sample.format}`;
      const data = uploaded(await client.upload(fileBody(bytes, filename, sample.declared), { token }));
      expect(data).toEqual({
        url: expect.stringMatching(new RegExp(`^${PUBLIC_URL.replace(/\./g, '\\.')}/media/files/[A-Za-z0-9_-]{38}\\.${sample.format}$`)),
        type: sample.type,
        format: sample.format,
        fileSize: bytes.length,
        filename,
      });
      expect(data.url.startsWith(`${PUBLIC_URL}/media/files/`)).toBe(true);

      const served = await client.get(client.fileUrl(data.url));
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe(sample.contentType);
      expect(served.headers.get('content-length')).toBe(String(bytes.length));
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(served.headers.get('content-disposition')).toBe(`${sample.type === 'file' ? 'attachment' : 'inline'}; filename="${filename}"`);
      expect(sha256(served.bytes)).toBe(sha256(bytes));
      // Stored under the issued name, byte for byte.
      expect(readFileSync(storedPath(nameOf(data.url))).equals(bytes)).toBe(true);
    });
  });

  describe('refuses what is not an allowed type', () => {
    it('a script named x.png and declared image/png', async () => {
      await expectRefusal(
        () => client.upload(fileBody(disguisedScript(), 'x.png', 'image/png'), { token }),
        415,
        /^Unsupported file type/,
      );
    });

    it('SVG (script inside an image our origin would serve)', async () => {
      await expectRefusal(() => client.upload(fileBody(svg(), 'logo.svg', 'image/svg+xml'), { token }), 415, UNSUPPORTED_ALL);
    });

    it('SVG without its XML declaration, named .png', async () => {
      const bare = Buffer.from(svg().toString('utf8').replace(/^<\?xml[^>]*>\s*/, ''));
      await expectRefusal(() => client.upload(fileBody(bare, 'logo.png', 'image/png'), { token }), 415, UNSUPPORTED_ALL);
    });

    it('HTML', async () => {
      await expectRefusal(() => client.upload(fileBody(html(), 'page.html', 'text/html'), { token }), 415, UNSUPPORTED_ALL);
    });

    it('an MP3 (ID3 tag): audio messages are not allowed', async () => {
      await expectRefusal(() => client.upload(fileBody(mp3(), 'song.mp3', 'audio/mpeg'), { token }), 415, ErrorMessage.AudioNotAllowed);
    });

    it('an MP3 dressed as a video', async () => {
      await expectRefusal(() => client.upload(fileBody(mp3(), 'clip.mp4', 'video/mp4'), { token }), 415, 'Audio messages are not allowed');
    });

    it('a WAV: audio messages are not allowed', async () => {
      await expectRefusal(() => client.upload(fileBody(wav(), 'voice.wav', 'audio/wav'), { token }), 415, 'Audio messages are not allowed');
    });

    it('a PDF where only images are accepted (?accept=image)', async () => {
      await expectRefusal(
        () => client.upload(fileBody(pdf(), 'doc.pdf', 'application/pdf'), { token, query: '?accept=image' }),
        415,
        UNSUPPORTED_IMAGES,
      );
    });

    it('but takes an image where only images are accepted', async () => {
      const bytes = jpeg();
      const data = uploaded(await client.upload(fileBody(bytes, 'group.jpg', 'image/jpeg'), { token, query: '?accept=image' }));
      expect(data).toMatchObject({ type: 'image', format: 'jpg', fileSize: bytes.length, filename: 'group.jpg' });
    });

    it('a video where images and files are accepted (?accept=image,file)', async () => {
      await expectRefusal(
        () => client.upload(fileBody(mp4(), 'v.mp4', 'video/mp4'), { token, query: '?accept=image,file' }),
        415,
        'Unsupported file type; allowed: images (JPEG, PNG, GIF, WebP), documents (PDF, Word, Excel, PowerPoint, OpenDocument, RTF, EPUB, ZIP)',
      );
    });

    it('an unknown kind in accept → 400', async () => {
      await expectRefusal(
        () => client.upload(fileBody(png(), 'x.png', 'image/png'), { token, query: '?accept=audio' }),
        400,
        'accept must list kinds among image, video, file',
      );
    });
  });

  describe('the 20 MiB limit, counted as the file streams in', () => {
    it('takes a file of exactly 20 MiB', async () => {
      const bytes = pdfPadded(MAX_BYTES);
      const data = uploaded(await client.upload(fileBody(bytes, 'big.pdf', 'application/pdf'), { token }));
      expect(data).toMatchObject({ type: 'file', format: 'pdf', fileSize: 20_971_520, filename: 'big.pdf' });
      expect(snapshot().incoming).toEqual([]);
      const served = await client.get(client.fileUrl(data.url));
      expect(served.status).toBe(200);
      expect(served.headers.get('content-length')).toBe('20971520');
      expect(sha256(served.bytes)).toBe(sha256(bytes));
    });

    it('refuses 20 MiB + 1 byte sent with a Content-Length', async () => {
      const body = fileBody(pdfPadded(MAX_BYTES + 1), 'big.pdf', 'application/pdf');
      await expectRefusal(() => client.upload(body, { token }), 413, TOO_LARGE);
    });

    it('refuses 20 MiB + 1 byte sent chunked (no Content-Length)', async () => {
      const body = fileBody(pdfPadded(MAX_BYTES + 1), 'big.pdf', 'application/pdf');
      await expectRefusal(() => client.upload(body, { token, chunked: true }), 413, TOO_LARGE);
    });

    it('refuses a declared Content-Length far past the limit before reading the body', async () => {
      // Only the headers are sent: the answer cannot have waited for the body.
      const body = fileBody(pdfPadded(MAX_BYTES + 2 * 1024 * 1024), 'bigger.pdf', 'application/pdf');
      await expectRefusal(() => client.answerWithoutBody(body, token), 413, TOO_LARGE);
    });

    // A refusal answered while the body is still arriving drains that body (discardRefusedBody
    // in runtime), so the client reads the answer rather than meeting a reset mid-send.
    it.each([
      ['413, a declared 23 MiB', () => fileBody(pdfPadded(23 * 1024 * 1024), 'big.pdf', 'application/pdf'), token, 413],
      ['415, a 10 MiB WAV', () => fileBody(Buffer.concat([wav(), Buffer.alloc(10 * 1024 * 1024)]), 'a.wav', 'audio/wav'), token, 415],
      ['401, 10 MiB without a token', () => fileBody(pdfPadded(10 * 1024 * 1024), 'a.pdf', 'application/pdf'), undefined, 401],
    ] as const)('a client still sending a refused body (%s) gets the answer, not a reset', async (_label, build, bearer, status) => {
      expect(await client.sendWhole(build(), bearer)).toEqual({ status, error: undefined });
    });

    it('refuses 25 MiB sent chunked', async () => {
      const body = fileBody(pdfPadded(25 * 1024 * 1024), 'bigger.pdf', 'application/pdf');
      await expectRefusal(() => client.upload(body, { token, chunked: true }), 413, TOO_LARGE);
    });
  });

  describe('a client that goes away mid-upload', () => {
    it('leaves no part file and nothing in files/, and the service goes on', async () => {
      const before = snapshot();
      const body = fileBody(pdfPadded(12 * 1024 * 1024), 'aborted.pdf', 'application/pdf');
      await client.abortMidBody(body, token, Math.floor(body.body.length / 2), async () => {
        // The service has judged the type and is streaming the file into a part.
        await waitFor(() => snapshot().incoming.length === 1, 10_000, () => 'a part file in MEDIA_DIR/incoming');
      });
      await waitFor(() => snapshot().incoming.length === 0, 5_000, () => `MEDIA_DIR/incoming to empty: ${snapshot().incoming.join(', ')}`);
      expectNothingStoredSince(before);
      await expectStillServing();
    });

    it('before the type is known: nothing is left either', async () => {
      const before = snapshot();
      const body = fileBody(pdfPadded(4 * 1024 * 1024), 'early.pdf', 'application/pdf');
      // Less than the 64 KiB the service reads before judging the type.
      await client.abortMidBody(body, token, 10 * 1024, () => new Promise((resolve) => setTimeout(resolve, 200)));
      await waitFor(() => snapshot().incoming.length === 0, 5_000, () => 'MEDIA_DIR/incoming to empty');
      expectNothingStoredSince(before);
      await expectStillServing();
    });
  });

  describe('hostile file names', () => {
    it('../../x holding a PNG is shown as x.png and written nowhere but files/', async () => {
      const bytes = png();
      const before = snapshot();
      const data = uploaded(await client.upload(fileBody(bytes, '../../x', 'image/png'), { token }));
      expect(data).toMatchObject({ type: 'image', format: 'png', filename: 'x.png', fileSize: bytes.length });
      // Nothing beside MEDIA_DIR, nothing in it but incoming/ and files/, nothing named x anywhere.
      expect(readdirSync(root)).toEqual(['media']);
      expect(readdirSync(mediaDir).sort()).toEqual(['files', 'incoming']);
      expect(existsSync(join(mediaDir, 'x'))).toBe(false);
      expect(existsSync(join(mediaDir, 'x.png'))).toBe(false);
      const name = nameOf(data.url);
      expect(snapshot().files).toEqual([...before.files, join(name.slice(0, 2), name), join(name.slice(0, 2), `${name}.json`)].sort());
      const served = await client.get(client.fileUrl(data.url));
      expect(served.headers.get('content-disposition')).toBe('inline; filename="x.png"');
      expect(served.bytes.equals(bytes)).toBe(true);
    });

    it('a.php%00.jpg holding a JPEG keeps its name and is served as image/jpeg', async () => {
      const bytes = jpeg();
      const data = uploaded(await client.upload(fileBody(bytes, 'a.php%00.jpg', 'application/x-php'), { token }));
      expect(data).toMatchObject({ type: 'image', format: 'jpg', filename: 'a.php%00.jpg' });
      expect(nameOf(data.url)).toMatch(/^[A-Za-z0-9_-]{38}\.jpg$/);
      const served = await client.get(client.fileUrl(data.url));
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('image/jpeg');
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      // content-disposition adds an RFC 5987 form because %00 looks like a percent escape.
      expect(served.headers.get('content-disposition')).toBe(`inline; filename="a.php%00.jpg"; filename*=UTF-8''a.php%2500.jpg`);
      expect(served.bytes.equals(bytes)).toBe(true);
    });

    it('a.php.jpg holding a GIF is shown with the extension of its bytes', async () => {
      const data = uploaded(await client.upload(fileBody(gif(), 'a.php.jpg', 'image/jpeg'), { token }));
      expect(data).toMatchObject({ type: 'image', format: 'gif', filename: 'a.php.gif' });
      expect(nameOf(data.url)).toMatch(/^[A-Za-z0-9_-]{38}\.gif$/);
    });

    it('a 300-character name is cut to at most 255 characters, ending in the real extension', async () => {
      const data = uploaded(await client.upload(fileBody(png(), `${'n'.repeat(300)}.jpg`, 'image/jpeg'), { token }));
      expect(data.filename.length).toBeLessThanOrEqual(FILENAME_MAX_CHARS);
      expect(data.filename.length).toBeLessThanOrEqual(255);
      expect(data.filename).toMatch(/^n+\.png$/);
      expect(data.filename).toBe(`${'n'.repeat(251)}.png`);
    });

    it('two files in the field media: the first is stored, the second ignored', async () => {
      const before = snapshot();
      const body = multipart([
        { name: 'media', filename: 'first.png', contentType: 'image/png', data: png() },
        { name: 'media', filename: 'second.gif', contentType: 'image/gif', data: gif() },
      ]);
      const data = uploaded(await client.upload(body, { token }));
      expect(data).toMatchObject({ type: 'image', format: 'png', filename: 'first.png', fileSize: png().length });
      const name = nameOf(data.url);
      expect(snapshot()).toEqual({ incoming: [], files: [...before.files, join(name.slice(0, 2), name), join(name.slice(0, 2), `${name}.json`)].sort() });
    });

    it('the stored file is never named by the client: its name is the url’s last segment', async () => {
      const names = ['photo.png', '../../etc/passwd', 'C:\\Windows\\x.png', '.htaccess', 'evil.php'];
      for (const filename of names) {
        const bytes = png();
        const data = uploaded(await client.upload(fileBody(bytes, filename, 'image/png'), { token }));
        const name = nameOf(data.url);
        expect(name).toMatch(ISSUED_NAME);
        expect(readFileSync(storedPath(name)).equals(bytes)).toBe(true);
      }
      // Every file under files/ is an issued name (or its metadata beside it); none is a client's.
      for (const path of snapshot().files) {
        const [fanOut, file, ...rest] = path.split('/');
        expect(rest).toEqual([]);
        const name = file!.replace(/\.json$/, '');
        expect(name).toMatch(ISSUED_NAME);
        expect(fanOut).toBe(name.slice(0, 2));
      }
    });
  });

  describe('file names beyond ASCII, sent as browsers and fetch send them (raw UTF-8)', () => {
    const names = ['résumé.pdf', '写真.pdf', 'inv\u202Efdp.exe'] as const;
    const shown = new Map<string, string>();

    beforeAll(async () => {
      for (const name of names) {
        const form = new FormData();
        form.append('media', new Blob([new Uint8Array(pdf())], { type: 'application/pdf' }), name);
        shown.set(name, uploaded(await client.uploadForm(form, token)).filename);
      }
    });

    it('are taken, with the real extension and never a bidi override', () => {
      for (const name of names) {
        expect(shown.get(name)).toMatch(/\.pdf$/);
        expect(shown.get(name)).not.toContain('\u202E');
      }
    });

    // busboy reads part header parameters as UTF-8 (defParamCharset), as browsers send them.
    it('keep their characters (only the bidi override dropped)', () => {
      expect(names.map((name) => shown.get(name))).toEqual(['résumé.pdf', '写真.pdf', 'invfdp.pdf']);
    });
  });

  describe('requests that carry no acceptable file', () => {
    it('multipart with the file in another field → 400', async () => {
      const body = multipart([{ name: 'file', filename: 'x.png', contentType: 'image/png', data: png() }]);
      await expectRefusal(() => client.upload(body, { token }), 400, NO_FILE);
    });

    it('multipart with only text fields → 400', async () => {
      const body = multipart([
        { name: 'caption', data: 'hello' },
        { name: 'media', data: 'not a file, just a field' },
      ]);
      await expectRefusal(() => client.upload(body, { token }), 400, NO_FILE);
    });

    it('an empty file → 400', async () => {
      await expectRefusal(() => client.upload(fileBody(Buffer.alloc(0), 'empty.png', 'image/png'), { token }), 400, 'The uploaded file is empty');
    });

    it('a JSON body → 400', async () => {
      const json = Buffer.from(JSON.stringify({ media: png().toString('base64'), filename: 'x.png' }));
      await expectRefusal(() => client.upload(json, { token, contentType: 'application/json' }), 400, NOT_MULTIPART);
    });

    it('multipart without a boundary → 400', async () => {
      const { body } = fileBody(png(), 'x.png', 'image/png');
      await expectRefusal(() => client.upload(body, { token, contentType: 'multipart/form-data' }), 400, 'Malformed multipart body');
    });

    it('no token → 401', async () => {
      await expectRefusal(() => client.upload(fileBody(png(), 'x.png', 'image/png')), 401, 'Authentication error: Token required');
    });

    it('a malformed token → 401', async () => {
      await expectRefusal(
        () => client.upload(fileBody(png(), 'x.png', 'image/png'), { token: 'not.a.jwt' }),
        401,
        'Authentication error: Invalid token',
      );
    });

    it('a token signed with another secret → 401', async () => {
      const forged = new AccessTokens('another-secret').sign('media-int-user');
      await expectRefusal(
        () => client.upload(fileBody(png(), 'x.png', 'image/png'), { token: forged }),
        401,
        'Authentication error: Invalid token',
      );
    });

    it('an expired token → 401', async () => {
      const expired = tokens.sign('media-int-user', -60);
      await expectRefusal(
        () => client.upload(fileBody(png(), 'x.png', 'image/png'), { token: expired }),
        401,
        'Authentication error: Invalid token',
      );
    });
  });

  describe('serving files', () => {
    let pngData: Uploaded;
    let pngBytes: Buffer;
    let pdfData: Uploaded;

    beforeAll(async () => {
      pngBytes = png();
      pngData = uploaded(await client.upload(fileBody(pngBytes, 'served.png', 'image/png'), { token }));
      pdfData = uploaded(await client.upload(fileBody(pdf(), 'report.pdf', 'application/pdf'), { token }));
    });

    it('issues urls under MEDIA_PUBLIC_URL/media/files/', () => {
      for (const data of [pngData, pdfData]) {
        expect(data.url.startsWith(`${PUBLIC_URL}/media/files/`)).toBe(true);
        expect(nameOf(data.url)).toMatch(ISSUED_NAME);
      }
    });

    it('an image inline, a document as an attachment, both with nosniff and a sandbox', async () => {
      const image = await client.get(client.fileUrl(pngData.url));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(image.headers.get('content-disposition')).toBe('inline; filename="served.png"');
      expect(image.headers.get('x-content-type-options')).toBe('nosniff');
      expect(image.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");

      const document = await client.get(client.fileUrl(pdfData.url));
      expect(document.status).toBe(200);
      expect(document.headers.get('content-type')).toBe('application/pdf');
      expect(document.headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
      expect(document.headers.get('x-content-type-options')).toBe('nosniff');
      expect(document.bytes.equals(pdf())).toBe(true);
    });

    it('Range bytes=0-9 → 206 with Content-Range and 10 bytes', async () => {
      const part = await client.get(client.fileUrl(pngData.url), { headers: { range: 'bytes=0-9' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 0-9/${pngBytes.length}`);
      expect(part.headers.get('content-length')).toBe('10');
      expect(part.headers.get('x-content-type-options')).toBe('nosniff');
      expect(part.bytes.equals(pngBytes.subarray(0, 10))).toBe(true);
    });

    it('a suffix range → 206 with the last bytes', async () => {
      const part = await client.get(client.fileUrl(pngData.url), { headers: { range: 'bytes=-5' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes ${pngBytes.length - 5}-${pngBytes.length - 1}/${pngBytes.length}`);
      expect(part.bytes.equals(pngBytes.subarray(pngBytes.length - 5))).toBe(true);
    });

    it('an unsatisfiable range → 416 with the size', async () => {
      const part = await client.get(client.fileUrl(pngData.url), { headers: { range: `bytes=${pngBytes.length}-` } });
      expect(part.status).toBe(416);
      expect(part.headers.get('content-range')).toBe(`bytes */${pngBytes.length}`);
      expect(part.bytes.length).toBe(0);
    });

    it('HEAD → the headers only', async () => {
      const head = await client.get(client.fileUrl(pngData.url), { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('image/png');
      expect(head.headers.get('content-length')).toBe(String(pngBytes.length));
      expect(head.headers.get('x-content-type-options')).toBe('nosniff');
      expect(head.headers.get('accept-ranges')).toBe('bytes');
      expect(head.bytes.length).toBe(0);
    });

    it('an ETag, and If-None-Match with it → 304 without a body', async () => {
      const first = await client.get(client.fileUrl(pngData.url));
      const etag = first.headers.get('etag');
      expect(etag).toBe(`"${nameOf(pngData.url)}"`);
      expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const again = await client.get(client.fileUrl(pngData.url), { headers: { 'if-none-match': etag! } });
      expect(again.status).toBe(304);
      expect(again.bytes.length).toBe(0);
      const other = await client.get(client.fileUrl(pngData.url), { headers: { 'if-none-match': '"something-else"' } });
      expect(other.status).toBe(200);
    });

    it('a well-formed name that was issued but never stored → 404', async () => {
      const unknown = new MediaUrls({ publicBaseUrl: PUBLIC_URL, secret: URL_SECRET, externalHosts: [] }).mintFileName('png');
      const answer = await client.get(`/media/files/${unknown}`);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.bytes.toString('utf8'))).toEqual({ success: false, message: ErrorMessage.NotFound });
      // Its would-be ETag does not make it exist.
      expect((await client.get(`/media/files/${unknown}`, { headers: { 'if-none-match': `"${unknown}"` } })).status).toBe(404);
    });

    it.each([
      ['a short guess', 'x.png'],
      ['the right shape, a wrong MAC', `${'A'.repeat(38)}.png`],
      ['a stored name with another extension', 'SWAP.jpg'],
      ['a stored name with an unknown extension', 'SWAP.html'],
      ['the metadata beside a file', 'SWAP.png.json'],
      ['a path climbing out', '..%2F..%2F..%2Fetc%2Fpasswd'],
    ])('a guessed or garbage name (%s) → 404', async (_label, raw) => {
      const stored = nameOf(pngData.url);
      const name = raw.replace('SWAP', stored.slice(0, stored.lastIndexOf('.')));
      const answer = await client.get(`/media/files/${name}`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(answer.bytes.toString('utf8'))).toEqual({ success: false, message: ErrorMessage.NotFound });
    });
  });

  it('still serves after everything above', async () => {
    await expectStillServing();
    expect(snapshot().incoming).toEqual([]);
    expect(service.running).toBe(true);
  });
});

describe('a media service killed mid-upload (SIGKILL)', () => {
  it('shows nothing of the upload after a restart, serves what it stored before, and sweeps the part once it is stale', async () => {
    const earlier = uploaded(await client.upload(fileBody(png(), 'before-crash.png', 'image/png'), { token }));
    const before = snapshot();
    const body = fileBody(pdfPadded(12 * 1024 * 1024), 'crash.pdf', 'application/pdf');
    await client.abortMidBody(body, token, Math.floor(body.body.length / 2), async () => {
      await waitFor(() => snapshot().incoming.length === 1, 10_000, () => 'a part file in MEDIA_DIR/incoming');
      // The service dies with the part half written: no abort handler runs.
      await service.stop('SIGKILL');
    });
    const [part] = snapshot().incoming;
    expect(part).toMatch(/\.part$/);
    expect(snapshot().files).toEqual(before.files);

    await service.start();
    // A young part might be a live upload of another instance sharing the folder: kept.
    expect(snapshot().incoming).toEqual([part]);
    expect(snapshot().files).toEqual(before.files);
    const served = await client.get(client.fileUrl(earlier.url));
    expect(served.status).toBe(200);
    await expectStillServing();

    // An hour later it can only be a crash's leftover: the next start removes it.
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(join(mediaDir, 'incoming', part as string), old, old);
    await service.stop();
    await service.start();
    expect(snapshot().incoming).toEqual([]);
    await expectStillServing();
  });
});
