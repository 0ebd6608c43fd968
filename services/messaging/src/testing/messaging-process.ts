import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..', '..');

/** Builds the workspaces (incremental), so the process under test runs the current sources. */
export function buildWorkspaces(): void {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc -b failed:\n${result.stdout}${result.stderr}`);
}

/**
 * The messaging service as its own process, as `npm start` runs it, so a test can SIGKILL
 * it mid-stream and start it again.
 */
export class MessagingProcess {
  private child: ChildProcess | undefined;
  readonly output: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, [join(root, 'services', 'messaging', 'dist', 'main.js')], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`messaging did not start:\n${this.output.join('')}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        this.output.push(chunk.toString());
        if (chunk.toString().includes('consuming commands')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`messaging exited (code ${code}, signal ${signal}):\n${this.output.join('')}`));
      });
    });
  }

  /** Stops it: SIGTERM lets it finish its batch, SIGKILL does not. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
