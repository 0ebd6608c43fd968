import { displayFilename } from './display-filename';

describe('displayFilename', () => {
  it.each([
    ['photo.jpg', 'jpg', 'photo.jpg'],
    ['../../x', 'png', 'x.png'],
    ['..\\..\\windows\\x.gif', 'gif', 'x.gif'],
    ['a.php%00.jpg', 'png', 'a.php%00.png'],
    ['a.php\u0000.jpg', 'jpg', 'a.php.jpg'],
    ['evil\u202Egpj.exe', 'pdf', 'evilgpj.pdf'],
    ['.htaccess', 'png', 'htaccess.png'],
    ['', 'pdf', 'file.pdf'],
    [undefined, 'mp4', 'file.mp4'],
    ['   ', 'mp4', 'file.mp4'],
    ['report.final.PDF', 'pdf', 'report.final.pdf'],
  ])('%j as %s → %j', (given, format, expected) => {
    expect(displayFilename(given, format)).toBe(expected);
  });

  it('keeps at most 255 characters, extension included', () => {
    const shown = displayFilename(`${'a'.repeat(300)}.jpg`, 'jpg');
    expect(shown).toHaveLength(255);
    expect(shown.endsWith('.jpg')).toBe(true);
  });

  it('never splits a character made of two UTF-16 units', () => {
    const shown = displayFilename(`${'😀'.repeat(200)}.png`, 'png');
    expect(shown.length).toBeLessThanOrEqual(255);
    expect(shown).toBe(`${'😀'.repeat(125)}.png`);
  });
});
