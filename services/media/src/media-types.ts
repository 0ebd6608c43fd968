import type { MediaType } from '@chat/contracts';

/** What an accepted upload is, judged from its bytes. */
export interface AcceptedType {
  /** The spec's `type`: how clients show it. */
  readonly kind: MediaType;
  /** The spec's `format` and the stored file's extension. */
  readonly format: string;
  /** What the file is served as. */
  readonly contentType: string;
}

/**
 * Everything the service accepts, by the MIME type the file-type library reads from the
 * bytes: the spec's images (JPEG, PNG, GIF, WebP), common videos, and documents that carry no
 * active content when downloaded. Refused on purpose: SVG and HTML (script in a page of our
 * origin; the library does not even report them), macro-enabled Office files, executables.
 */
const ACCEPTED: Readonly<Record<string, AcceptedType>> = Object.fromEntries(
  (
    [
      ['image', 'jpg', 'image/jpeg'],
      ['image', 'png', 'image/png'],
      ['image', 'gif', 'image/gif'],
      ['image', 'webp', 'image/webp'],
      ['video', 'mp4', 'video/mp4'],
      ['video', 'm4v', 'video/x-m4v'],
      ['video', 'mov', 'video/quicktime'],
      ['video', 'avi', 'video/vnd.avi'],
      ['video', 'webm', 'video/webm'],
      ['video', 'mkv', 'video/matroska'],
      ['video', 'mpg', 'video/mpeg'],
      ['video', '3gp', 'video/3gpp'],
      ['video', '3g2', 'video/3gpp2'],
      ['video', 'ogv', 'video/ogg'],
      ['file', 'pdf', 'application/pdf'],
      ['file', 'docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['file', 'xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ['file', 'pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
      ['file', 'odt', 'application/vnd.oasis.opendocument.text'],
      ['file', 'ods', 'application/vnd.oasis.opendocument.spreadsheet'],
      ['file', 'odp', 'application/vnd.oasis.opendocument.presentation'],
      ['file', 'rtf', 'application/rtf'],
      ['file', 'epub', 'application/epub+zip'],
      ['file', 'zip', 'application/zip'],
    ] as const
  ).map(([kind, format, contentType]) => [contentType, { kind, format, contentType }]),
);

const BY_FORMAT: ReadonlyMap<string, AcceptedType> = new Map(Object.values(ACCEPTED).map((type) => [type.format, type]));

export type TypeVerdict =
  | { readonly accepted: true; readonly type: AcceptedType }
  | { readonly accepted: false; readonly audio: boolean };

/** The verdict on a file whose bytes the library read as `mime` (undefined: unrecognised). */
export function judgeType(mime: string | undefined): TypeVerdict {
  const type = mime === undefined ? undefined : ACCEPTED[mime];
  if (type) return { accepted: true, type };
  return { accepted: false, audio: mime?.startsWith('audio/') ?? false };
}

/** The type of a stored file, from the extension its name was given at upload. */
export function typeOfFormat(format: string): AcceptedType | undefined {
  return BY_FORMAT.get(format);
}

/** Shown where it is stored (images, videos); everything else only ever downloads. */
export function servedInline(type: AcceptedType): boolean {
  return type.kind === 'image' || type.kind === 'video';
}
