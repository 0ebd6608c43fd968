import { spawnSync } from 'node:child_process';
import { repoRoot } from './local/repo-root';

// `npm ci` (a fresh machine's install, and the Docker image's) refuses a lock file that is
// not in sync with the workspaces' package.json files, or that lacks another platform's
// optional binaries (npm install on a fresh machine then adds them, leaving the checkout dirty).
describe('package-lock.json', () => {
  it('is complete: npm ci accepts it', () => {
    const result = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: repoRoot(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    const refusal = (result.stderr ?? '').split('\n').filter((line) => line.startsWith('npm error')).slice(0, 3);
    expect({ status: result.status, refusal }).toEqual({ status: 0, refusal: [] });
  }, 150_000);
});
