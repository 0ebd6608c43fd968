import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../infrastructure/local/repo-root';

/**
 * Rewrites one benchmark's section of docs/benchmarks.md (what lies between its two marker
 * comments), or adds the section at the end of the file. Spliced by position, not by regular
 * expression, so the figures' text is written as it is.
 */
export function recordBenchmarkSection(markers: { readonly begin: string; readonly end: string }, markdown: string, file = join(repoRoot(), 'docs', 'benchmarks.md')): void {
  const block = `${markers.begin}\n${markdown}\n${markers.end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures recorded by the benchmark scripts, with the command that produced them.\n';
  const from = current.indexOf(markers.begin);
  const to = from >= 0 ? current.indexOf(markers.end, from) : -1;
  const next = from >= 0 && to >= 0 ? `${current.slice(0, from)}${block}${current.slice(to + markers.end.length)}` : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
