import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

// Minimal but genuine sample files, built in code: each carries the structure the file-type
// library (v21, node_modules/file-type/core.js) reads to recognise it, and is a well-formed
// file of its kind besides (a decoder would open it), not just a magic number.

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

function u16le(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(value);
  return out;
}

function u32le(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
}

function u16be(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

function u32be(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

// -- images --

/** A 1×1 baseline JPEG (one grey 8×8 block; one-code Huffman tables: DC 0, then EOB). */
export function jpeg(): Buffer {
  const segment = (marker: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([0xff, marker]), u16be(body.length + 2), body]);
  const huffmanTable = (tableClass: number): Buffer =>
    Buffer.concat([Buffer.from([tableClass << 4]), Buffer.from([1, ...new Array<number>(15).fill(0)]), Buffer.from([0x00])]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]), // SOI
    segment(0xe0, Buffer.concat([ascii('JFIF\0'), Buffer.from([1, 1, 0, 0, 1, 0, 1, 0, 0])])), // APP0 JFIF 1.01
    segment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])), // DQT 0: all ones
    segment(0xc0, Buffer.from([8, 0, 1, 0, 1, 1, 1, 0x11, 0])), // SOF0: 8 bit, 1×1, one component
    segment(0xc4, huffmanTable(0)), // DHT DC 0: code '0' → category 0
    segment(0xc4, huffmanTable(1)), // DHT AC 0: code '0' → EOB
    segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])), // SOS
    Buffer.from([0x3f]), // bits 00 (DC diff 0, EOB), padded with ones
    Buffer.from([0xff, 0xd9]), // EOI
  ]);
}

/** A 1×1 opaque red PNG: signature, IHDR, IDAT (zlib), IEND, with real CRCs. */
export function png(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const typed = Buffer.concat([ascii(type), data]);
    return Buffer.concat([u32be(data.length), typed, u32be(crc32(typed))]);
  };
  const header = Buffer.concat([u32be(1), u32be(1), Buffer.from([8, 2, 0, 0, 0])]); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 0xff, 0, 0]))), // filter 0, one red pixel
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The classic 1×1 transparent GIF89a. */
export function gif(): Buffer {
  return Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
}

/** A 1×1 lossless WebP (RIFF, WEBP, VP8L). */
export function webp(): Buffer {
  return Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
}

// -- videos --

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32be(body.length + 8), ascii(type), body]);
}

/** mvhd v0: timescale 1000, no duration, rate 1.0, volume 1.0, identity matrix. */
function movieHeader(): Buffer {
  const matrix = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32be);
  return box(
    'mvhd',
    Buffer.alloc(4), // version 0, flags
    u32be(0), // creation time
    u32be(0), // modification time
    u32be(1000), // timescale
    u32be(0), // duration
    u32be(0x00010000), // rate
    u16be(0x0100), // volume
    Buffer.alloc(10), // reserved
    ...matrix,
    Buffer.alloc(24), // pre-defined
    u32be(1), // next track id
  );
}

/** ISO base media: ftyp (isom), an empty mdat and a moov with its mvhd. */
export function mp4(): Buffer {
  return Buffer.concat([box('ftyp', ascii('isom'), u32be(0x200), ascii('isomiso2mp41')), box('mdat'), box('moov', movieHeader())]);
}

/** QuickTime: ftyp with the major brand `qt  `, then moov/mvhd. */
export function mov(): Buffer {
  return Buffer.concat([box('ftyp', ascii('qt  '), u32be(0x20050300), ascii('qt  ')), box('moov', movieHeader()), box('mdat')]);
}

function riff(form: string, ...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([ascii(form), ...chunks]);
  return Buffer.concat([ascii('RIFF'), u32le(body.length), body]);
}

function riffChunk(id: string, data: Buffer): Buffer {
  const padded = data.length % 2 === 1 ? Buffer.concat([data, Buffer.alloc(1)]) : data;
  return Buffer.concat([ascii(id), u32le(data.length), padded]);
}

function riffList(type: string, ...chunks: Buffer[]): Buffer {
  return riffChunk('LIST', Buffer.concat([ascii(type), ...chunks]));
}

/** AVI: RIFF 'AVI ', hdrl with a main header (1×1, no frames), an empty movi list. */
export function avi(): Buffer {
  const mainHeader = Buffer.concat(
    [40_000, 0, 0, 0x10, 0, 0, 0, 0, 1, 1].map(u32le).concat([Buffer.alloc(16)]), // µs/frame … width, height, reserved
  );
  return riff('AVI ', riffList('hdrl', riffChunk('avih', mainHeader)), riffList('movi'), riffChunk('idx1', Buffer.alloc(0)));
}

function ebmlElement(id: number[], payload: Buffer): Buffer {
  if (payload.length > 126) throw new Error('sample EBML elements stay short');
  return Buffer.concat([Buffer.from(id), Buffer.from([0x80 | payload.length]), payload]);
}

/** Matroska family: the EBML header naming `docType`, then an empty Segment. */
function matroska(docType: 'webm' | 'matroska'): Buffer {
  const header = Buffer.concat([
    ebmlElement([0x42, 0x86], Buffer.from([1])), // EBMLVersion
    ebmlElement([0x42, 0xf7], Buffer.from([1])), // EBMLReadVersion
    ebmlElement([0x42, 0xf2], Buffer.from([4])), // EBMLMaxIDLength
    ebmlElement([0x42, 0xf3], Buffer.from([8])), // EBMLMaxSizeLength
    ebmlElement([0x42, 0x82], ascii(docType)), // DocType
    ebmlElement([0x42, 0x87], Buffer.from([4])), // DocTypeVersion
    ebmlElement([0x42, 0x85], Buffer.from([2])), // DocTypeReadVersion
  ]);
  return Buffer.concat([ebmlElement([0x1a, 0x45, 0xdf, 0xa3], header), ebmlElement([0x18, 0x53, 0x80, 0x67], Buffer.alloc(0))]);
}

export function webm(): Buffer {
  return matroska('webm');
}

export function mkv(): Buffer {
  return matroska('matroska');
}

// -- documents --

/** A one-page PDF 1.4 with a correct cross-reference table. */
export function pdf(): Buffer {
  return pdfOf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>']);
}

function pdfOf(objects: readonly string[]): Buffer {
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** `size` bytes: a PDF header, then random bytes (for the size limit; the type is read from the head). */
export function pdfPadded(size: number): Buffer {
  const out = randomBytes(size);
  const head = pdf().subarray(0, 32);
  head.copy(out, 0, 0, Math.min(size, head.length));
  return out;
}

export function rtf(): Buffer {
  return ascii('{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs24 Hello from the media test.\\par}\n');
}

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer | string;
}

/**
 * A zip archive with every entry stored (method 0, no compression): local headers, then the
 * central directory and its end record, CRC-32 from node:zlib.
 */
export function storedZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const dosTime = 0; // 00:00:00
  const dosDate = (2024 - 1980) << 9 | (1 << 5) | 1; // 2024-01-01
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
    const crc = crc32(data);
    const common = Buffer.concat([
      u16le(0x0800), // flags: UTF-8 names
      u16le(0), // method: stored
      u16le(dosTime),
      u16le(dosDate),
      u32le(crc),
      u32le(data.length), // compressed size
      u32le(data.length), // uncompressed size
      u16le(name.length),
      u16le(0), // extra field length
    ]);
    const local = Buffer.concat([u32le(0x04034b50), u16le(20), common, name, data]);
    centrals.push(
      Buffer.concat([
        u32le(0x02014b50),
        u16le(20), // made by
        u16le(20), // needed to extract
        common,
        u16le(0), // comment length
        u16le(0), // disk number
        u16le(0), // internal attributes
        u32le(0), // external attributes
        u32le(offset),
        name,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.concat([
    u32le(0x06054b50),
    u16le(0),
    u16le(0),
    u16le(entries.length),
    u16le(entries.length),
    u32le(central.length),
    u32le(offset),
    u16le(0),
  ]);
  return Buffer.concat([...locals, central, end]);
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const PACKAGE_RELS =
  `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%TARGET%"/>' +
  '</Relationships>';

function contentTypes(overrides: Readonly<Record<string, string>>): string {
  return (
    `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    Object.entries(overrides)
      .map(([part, type]) => `<Override PartName="${part}" ContentType="${type}"/>`)
      .join('') +
    '</Types>'
  );
}

/** A one-paragraph Word document (OOXML). */
export function docx(): Buffer {
  return storedZip([
    {
      name: '[Content_Types].xml',
      data: contentTypes({ '/word/document.xml': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml' }),
    },
    { name: '_rels/.rels', data: PACKAGE_RELS.replace('%TARGET%', 'word/document.xml') },
    {
      name: 'word/document.xml',
      data: `${XML}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>`,
    },
  ]);
}

/** A one-sheet, one-cell Excel workbook (OOXML). */
export function xlsx(): Buffer {
  return storedZip([
    {
      name: '[Content_Types].xml',
      data: contentTypes({
        '/xl/workbook.xml': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
        '/xl/worksheets/sheet1.xml': 'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml',
      }),
    },
    { name: '_rels/.rels', data: PACKAGE_RELS.replace('%TARGET%', 'xl/workbook.xml') },
    {
      name: 'xl/workbook.xml',
      data:
        `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data:
        `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
        '</Relationships>',
    },
    {
      name: 'xl/worksheets/sheet1.xml',
      data:
        `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
        '<sheetData><row r="1"><c r="A1"><v>42</v></c></row></sheetData></worksheet>',
    },
  ]);
}

/** An OpenDocument text: `mimetype` first and stored, as the format requires. */
export function odt(): Buffer {
  const mime = 'application/vnd.oasis.opendocument.text';
  return storedZip([
    { name: 'mimetype', data: mime },
    {
      name: 'META-INF/manifest.xml',
      data:
        `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">` +
        `<manifest:file-entry manifest:full-path="/" manifest:media-type="${mime}"/>` +
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>' +
        '</manifest:manifest>',
    },
    {
      name: 'content.xml',
      data:
        `${XML}<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">` +
        '<office:body><office:text><text:p>Hello</text:p></office:text></office:body></office:document-content>',
    },
  ]);
}

/** A plain zip with one text file. */
export function zip(): Buffer {
  return storedZip([{ name: 'hello.txt', data: 'hello from the media test\n' }]);
}

// -- refused on purpose --

/** An MP3: an ID3v2.3 tag (one title frame), then two silent MPEG-1 Layer III frames. */
export function mp3(): Buffer {
  const title = Buffer.concat([ascii('TIT2'), u32be(6), Buffer.from([0, 0]), Buffer.from([0]), ascii('hello')]);
  const tagSize = title.length; // < 128: the sync-safe size is the plain byte
  const id3 = Buffer.concat([ascii('ID3'), Buffer.from([3, 0, 0, 0, 0, 0, tagSize]), title]);
  // 128 kbit/s, 44.1 kHz, no padding: 144 * 128000 / 44100 = 417 bytes a frame.
  const frame = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413)]);
  return Buffer.concat([id3, frame, frame]);
}

/** A WAV: 8 kHz, mono, 8-bit PCM, 8 samples of silence. */
export function wav(): Buffer {
  const format = Buffer.concat([u16le(1), u16le(1), u32le(8000), u32le(8000), u16le(1), u16le(8)]);
  return riff('WAVE', riffChunk('fmt ', format), riffChunk('data', Buffer.alloc(8, 0x80)));
}

export function svg(): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(document.cookie)</script><rect width="1" height="1"/></svg>\n',
  );
}

export function html(): Buffer {
  return Buffer.from('<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>fetch("/steal?c="+document.cookie)</script></body></html>\n');
}

/** A script dressed up as an image (sent as `x.png`, image/png). */
export function disguisedScript(): Buffer {
  return Buffer.from('<script>alert(document.domain)</script>\n<?php system($_GET["c"]); ?>\n');
}

export interface AllowedSample {
  readonly label: string;
  readonly build: () => Buffer;
  readonly type: 'image' | 'video' | 'file';
  readonly format: string;
  readonly contentType: string;
  /** What a client would declare (never trusted, but sent as a real client would). */
  readonly declared: string;
}

/** Every type the spec asks for, with what the service must answer and serve it as. */
export const ALLOWED_SAMPLES: readonly AllowedSample[] = [
  { label: 'JPEG', build: jpeg, type: 'image', format: 'jpg', contentType: 'image/jpeg', declared: 'image/jpeg' },
  { label: 'PNG', build: png, type: 'image', format: 'png', contentType: 'image/png', declared: 'image/png' },
  { label: 'GIF', build: gif, type: 'image', format: 'gif', contentType: 'image/gif', declared: 'image/gif' },
  { label: 'WebP', build: webp, type: 'image', format: 'webp', contentType: 'image/webp', declared: 'image/webp' },
  { label: 'MP4', build: mp4, type: 'video', format: 'mp4', contentType: 'video/mp4', declared: 'video/mp4' },
  { label: 'MOV', build: mov, type: 'video', format: 'mov', contentType: 'video/quicktime', declared: 'video/quicktime' },
  { label: 'AVI', build: avi, type: 'video', format: 'avi', contentType: 'video/vnd.avi', declared: 'video/x-msvideo' },
  { label: 'WebM', build: webm, type: 'video', format: 'webm', contentType: 'video/webm', declared: 'video/webm' },
  { label: 'MKV', build: mkv, type: 'video', format: 'mkv', contentType: 'video/matroska', declared: 'video/x-matroska' },
  { label: 'PDF', build: pdf, type: 'file', format: 'pdf', contentType: 'application/pdf', declared: 'application/pdf' },
  {
    label: 'DOCX',
    build: docx,
    type: 'file',
    format: 'docx',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    declared: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  },
  {
    label: 'XLSX',
    build: xlsx,
    type: 'file',
    format: 'xlsx',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    declared: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  {
    label: 'ODT',
    build: odt,
    type: 'file',
    format: 'odt',
    contentType: 'application/vnd.oasis.opendocument.text',
    declared: 'application/vnd.oasis.opendocument.text',
  },
  { label: 'RTF', build: rtf, type: 'file', format: 'rtf', contentType: 'application/rtf', declared: 'application/rtf' },
  { label: 'ZIP', build: zip, type: 'file', format: 'zip', contentType: 'application/zip', declared: 'application/zip' },
];
