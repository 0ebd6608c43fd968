import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from './local/repo-root';

// The repository stands alone: what its documents link to is in it (or on the web).
function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

describe('the documents', () => {
  const root = repoRoot();
  const links = markdownFiles(root).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)].map((match) => ({ file: relative(root, file), target: match[1] ?? '' })),
  );

  it('link only to files inside the repository that exist, or to the web', () => {
    expect(links.length).toBeGreaterThan(0);
    const broken = links.filter(({ file, target }) => {
      if (/^(https?:|mailto:|#)/.test(target)) return false;
      const path = resolve(root, dirname(file), target.split('#')[0] ?? '');
      return relative(root, path).startsWith('..') || !existsSync(path);
    });
    expect(broken).toEqual([]);
  });
});
