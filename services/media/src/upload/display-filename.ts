import { FILENAME_MAX_CHARS } from '@chat/contracts';

/**
 * The name a client gave its file, made safe to show and to put in a Content-Disposition
 * header. It is never used to store anything (stored names are generated), so this is about
 * what readers see: no path (`../../x` → `x`), no control characters or NULs, no bidi
 * overrides that would disguise an extension, at most FILENAME_MAX_CHARS characters with the
 * extension kept, and the extension of what the bytes are (`a.php%00.jpg` holding a PNG is
 * shown as `a.php%00.png`).
 */
export function displayFilename(given: string | undefined, format: string): string {
  const base = (given ?? '')
    .normalize('NFC')
    .split(/[/\\]/)
    .pop()!
    // C0/C1 controls, DEL, and the Unicode format characters (bidi overrides, zero-width).
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .replace(/^\.+/, '');
  const dot = base.lastIndexOf('.');
  const stem = (dot > 0 ? base.slice(0, dot) : base).trim() || 'file';
  const extension = `.${format}`;
  const room = FILENAME_MAX_CHARS - extension.length;
  // The limit counts UTF-16 units (as the message schema does); cut between code points, so a
  // surrogate pair is never split.
  let shortStem = '';
  for (const char of stem) {
    if (shortStem.length + char.length > room) break;
    shortStem += char;
  }
  return `${shortStem}${extension}`;
}
