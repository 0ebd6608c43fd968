import { MediaUrls, mediaUrlsFromEnv } from './media-urls';

const urls = new MediaUrls({ publicBaseUrl: 'https://chat.example.com/', secret: 's3cret', externalHosts: ['res.cloudinary.com'] });

describe('MediaUrls', () => {
  it('mints names that differ every time and verifies them', () => {
    const a = urls.mintFileName('jpg');
    const b = urls.mintFileName('jpg');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{38}\.jpg$/);
    expect(urls.isIssuedFileName(a)).toBe(true);
    expect(urls.urlOf(a)).toBe(`https://chat.example.com/media/files/${a}`);
    expect(urls.isAllowed(urls.urlOf(a))).toBe(true);
  });

  it('refuses names made with another secret, altered names and other shapes', () => {
    const other = new MediaUrls({ publicBaseUrl: 'https://chat.example.com', secret: 'other', externalHosts: [] });
    const foreign = other.mintFileName('png');
    expect(urls.isIssuedFileName(foreign)).toBe(false);
    const name = urls.mintFileName('png');
    const flipped = `${name[0] === 'A' ? 'B' : 'A'}${name.slice(1)}`;
    for (const bad of [flipped, name.replace('.png', '.PNG'), `${name}/x`, `../${name}`, '', 'x.png', name.replace('.png', '')]) {
      expect(urls.isIssuedFileName(bad)).toBe(false);
    }
  });

  it('allows issued urls only under its own base, and whole allowed hosts', () => {
    const name = urls.mintFileName('mp4');
    expect(urls.isAllowed(`https://evil.example.com/media/files/${name}`)).toBe(false);
    expect(urls.isAllowed(`http://chat.example.com/media/files/${name}`)).toBe(false);
    expect(urls.isAllowed('https://res.cloudinary.com/demo/image/upload/x.jpg')).toBe(true);
    expect(urls.isAllowed('https://RES.cloudinary.com/x.jpg')).toBe(true);
    expect(urls.isAllowed('https://cloudinary.com/x.jpg')).toBe(false);
    expect(urls.isAllowed('not a url')).toBe(false);
  });

  it('keeps a path prefix of the public base', () => {
    const prefixed = new MediaUrls({ publicBaseUrl: 'https://cdn.example.com/chat/', secret: 's', externalHosts: [] });
    const name = prefixed.mintFileName('pdf');
    expect(prefixed.urlOf(name)).toBe(`https://cdn.example.com/chat/media/files/${name}`);
    expect(prefixed.issuedFileNameOf(prefixed.urlOf(name))).toBe(name);
  });

  it('refuses the development secret in production', () => {
    expect(() => mediaUrlsFromEnv({ NODE_ENV: 'production' })).toThrow(/MEDIA_URL_SECRET/);
    expect(mediaUrlsFromEnv({ MEDIA_ALLOWED_HOSTS: 'a.example, b.example ' }).isAllowed('https://b.example/x')).toBe(true);
  });
});
