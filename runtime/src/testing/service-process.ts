import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../infrastructure/local/repo-root';

/**
 * Builds the workspaces (incremental), so a service started from dist/ runs the current
 * sources. CHAT_SKIP_BUILD=1 skips it when the caller has just built (scripts/test.sh does).
 */
export function buildWorkspaces(): void {
  if (process.env.CHAT_SKIP_BUILD === '1') return;
  const root = repoRoot();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc -b failed:\n${result.stdout}${result.stderr}`);
}

/** Polls `condition` until it holds; the error names what was awaited. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  describe: () => string = () => 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What each service prints once it is ready (its main.ts). */
export const serviceReadyLog = {
  messaging: 'consuming commands',
  projections: 'projecting',
  presence: 'tracking presence',
  gateway: 'listening on',
  media: 'serving media',
} as const;

export type ServiceName = keyof typeof serviceReadyLog;

export interface ServiceProcessOptions {
  /** The folder under services/ whose dist/main.js runs. */
  readonly service: ServiceName;
  readonly env: NodeJS.ProcessEnv;
  readonly startTimeoutMs?: number;
}

/**
 * A service as its own process, as `npm start` runs it, so a test can talk to it over the
 * wire, SIGKILL it mid-stream and start it again. Start it after {@link buildWorkspaces}.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  readonly output: string[] = [];

  constructor(private readonly options: ServiceProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const { service, env } = this.options;
    const readyLog = serviceReadyLog[service];
    // CHAT_SERVICE_CPU_PROF=<folder>: each service writes a V8 CPU profile there when it stops (diagnosing a benchmark).
    const profileDir = process.env.CHAT_SERVICE_CPU_PROF?.trim();
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${service}-${Date.now()}.cpuprofile`] : [];
    const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', ...profile, join(repoRoot(), 'services', service, 'dist', 'main.js')], {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const from = this.output.length;
    // CHAT_SERVICE_OUTPUT=1 shows the services' own lines as they come (diagnosing a test or a benchmark).
    const echo = process.env.CHAT_SERVICE_OUTPUT === '1' ? (chunk: Buffer) => process.stderr.write(chunk) : () => undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      this.output.push(chunk.toString());
      echo(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.output.push(chunk.toString());
      echo(chunk);
    });
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `code ${code}, signal ${signal}`));
    try {
      await waitFor(
        () => {
          if (exited) throw new Error(`${service} exited (${exited}) before it was ready:\n${this.output.slice(from).join('')}`);
          return this.output.slice(from).join('').includes(readyLog);
        },
        this.options.startTimeoutMs ?? 30_000,
        () => `${service} to print '${readyLog}':\n${this.output.slice(from).join('')}`,
      );
    } catch (err) {
      // A service that never became ready must not outlive the test that started it.
      await this.stop('SIGKILL');
      throw err;
    }
  }

  async waitForLog(text: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(() => this.output.join('').includes(text), timeoutMs, () => `'${text}' in:\n${this.output.join('')}`);
  }

  /** SIGTERM lets it finish what it is doing; SIGKILL does not. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
