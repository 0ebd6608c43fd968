import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../infrastructure/local/repo-root';
import { type RunningInfrastructure, resolveInfrastructure } from '../infrastructure/resolve-infrastructure';
import { redact } from '../infrastructure/readiness';

/**
 * `npm start`: brings up the infrastructure (env URLs, else Testcontainers, else local
 * processes), then every built service under services/ as its own process with the
 * endpoints in its environment. Ctrl-C (or SIGTERM) stops the services, then the servers.
 */

interface ServiceEntry {
  readonly name: string;
  readonly main: string;
}

const log = (line: string): void => console.log(`[start] ${line}`);

function builtServices(): ServiceEntry[] {
  const dir = join(repoRoot(), 'services');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'package.json')))
    .flatMap((d) => {
      const pkg = JSON.parse(readFileSync(join(dir, d.name, 'package.json'), 'utf8')) as { main?: string };
      const main = pkg.main ? join(dir, d.name, pkg.main) : undefined;
      return main && existsSync(main) ? [{ name: d.name, main }] : [];
    });
}

function prefixLines(stream: NodeJS.ReadableStream | null, name: string): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
}

async function main(): Promise<void> {
  const started = Date.now();
  let infrastructure: RunningInfrastructure | undefined;
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  const shutdown = async (code: number, reason: string): Promise<never> => {
    if (stopping) return new Promise<never>(() => undefined);
    stopping = true;
    log(`stopping (${reason})`);
    await Promise.all(
      [...children.entries()].map(
        ([name, child]) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              log(`${name} did not stop within 10 s; killing it`);
              child.kill('SIGKILL');
            }, 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await infrastructure?.stop();
    log('stopped');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0, signal));
  // The servers' supervisor is deliberately unref'd, so nothing else keeps this process (and
  // with it the system) alive until it is told to stop.
  setInterval(() => undefined, 1 << 30);

  try {
    infrastructure = await resolveInfrastructure({ profile: 'dev', log: (line) => console.log(`[infra] ${line}`) });
  } catch (err) {
    console.error(`[start] the infrastructure did not come up: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  for (const [name, value] of Object.entries(infrastructure.env())) log(`${name}=${redact(value)}`);
  if (infrastructure.localDataDir) log(`local servers keep their data and logs in ${infrastructure.localDataDir}`);

  const services = builtServices();
  for (const service of services) {
    const child = spawn(process.execPath, [service.main], {
      env: { ...process.env, ...infrastructure.env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(service.name, child);
    prefixLines(child.stdout, service.name);
    prefixLines(child.stderr, service.name);
    child.once('exit', (code, signal) => {
      if (!stopping) void shutdown(1, `${service.name} exited (code ${code}, signal ${signal})`);
    });
    log(`started ${service.name} (pid ${child.pid})`);
  }
  if (services.length === 0) {
    log('no service is built yet: the infrastructure alone is up (the services arrive with their issues)');
  }
  log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C stops everything`);
}

void main();
