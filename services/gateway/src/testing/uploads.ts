import { crc32, deflateSync } from 'node:zlib';

/** Files and multipart requests for the suites that upload through the gateway. */

/** A real 2×2 RGB PNG (the media service judges it by its bytes). */
export function png(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(2, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

export const pdf = (): Buffer => Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/** A multipart upload with the file in field `media` (or no file at all), as a browser form sends it. */
export async function upload(
  url: string,
  file: { bytes: Buffer; name: string; type: string } | undefined,
  token: string | undefined,
  method = 'POST',
): Promise<{ status: number; body: { success: boolean; message?: string; data?: unknown } }> {
  const form = new FormData();
  if (file) form.append('media', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  else form.append('caption', 'no file here');
  const response = await fetch(url, { method, headers: token ? { authorization: `Bearer ${token}` } : {}, body: form });
  return { status: response.status, body: (await response.json()) as { success: boolean; message?: string; data?: unknown } };
}
