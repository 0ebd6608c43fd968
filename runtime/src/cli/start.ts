import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/**
 * kafkajs computes a negative timer on every fetch loop (tulios/kafkajs#1751): harmless, but
 * Node warns about it in every service's output.
 */
export const serviceNodeOptions = ['--disable-warning=TimeoutNegativeWarning'];

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
  const spawnService = (name: string, main: string, env: NodeJS.ProcessEnv): void => {
    const child = spawn(process.execPath, [...serviceNodeOptions, main], {
      // Lines are prefixed with the service's name; colour codes would only garble a log file.
      env: { ...process.env, ...(process.stdout.isTTY ? {} : { NO_COLOR: '1' }), ...infrastructure?.env(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(name, child);
    prefixLines(child.stdout, name);
    prefixLines(child.stderr, name);
    child.once('exit', (code, signal) => {
      if (!stopping) void shutdown(1, `${name} exited (code ${code}, signal ${signal})`);
    });
    log(`started ${name} (pid ${child.pid})`);
  };
  const gatewayPorts = gatewayPortsFromEnv();
  for (const service of services) {
    if (service.name !== 'gateway') {
      spawnService(service.name, service.main, {});
      continue;
    }
    // Several gateways side by side (GATEWAY_PORTS=3100,3110) share one backend.
    for (const port of gatewayPorts) {
      spawnService(gatewayPorts.length > 1 ? `gateway:${port}` : 'gateway', service.main, { PORT: String(port) });
    }
  }
  if (services.length === 0) {
    log('no service is built yet: the infrastructure alone is up');
    return;
  }
  if (!services.some((service) => service.name === 'gateway')) return;
  for (const port of gatewayPorts) await waitUntilHealthy(port, () => stopping);
  const gateway = services.find((service) => service.name === 'gateway');
  if (gateway && process.env.NODE_ENV !== 'production' && !stopping) await printDemo(gateway.main, gatewayPorts[0] ?? 3100, infrastructure.env());
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${gatewayPorts.map((port) => `http://localhost:${port}`).join(', ')} (Socket.IO and REST); Ctrl-C stops everything`);
  if (infrastructure.localDataDir) log(`logs: each service's lines above, prefixed with its name; the servers' in ${join(infrastructure.localDataDir, 'logs')}`);
}

/**
 * Development only: demo users with ready tokens and their conversation, created through the
 * public API on the first start and found again on later ones (the gateway's cli/demo.ts).
 */
async function printDemo(gatewayMain: string, port: number, env: Record<string, string>): Promise<void> {
  const script = join(dirname(gatewayMain), 'cli', 'demo.js');
  if (!existsSync(script)) return;
  const child = spawn(process.execPath, [script, `http://127.0.0.1:${port}`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  prefixLines(child.stdout, 'demo');
  prefixLines(child.stderr, 'demo');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) log('the demo users could not be set up (see the [demo] lines); the system itself runs');
}

function gatewayPortsFromEnv(): number[] {
  const raw = process.env.GATEWAY_PORTS?.trim() || process.env.PORT?.trim() || '3100';
  const ports = raw.split(',').map((part) => Number(part.trim()));
  if (ports.some((port) => !Number.isInteger(port) || port <= 0 || port > 65535)) {
    throw new Error(`GATEWAY_PORTS must list TCP ports, got '${raw}'`);
  }
  return ports;
}

/** Polls the gateway's /health (which covers every part) and says what it still waits for. */
async function waitUntilHealthy(port: number, stopped: () => boolean): Promise<void> {
  const deadline = Date.now() + 180_000;
  let lastReport = '';
  let lastReportAt = 0;
  while (!stopped()) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3_000) });
      if (response.status === 200) return;
      const body = (await response.json()) as { failing?: string[] };
      const report = `waiting for ${body.failing?.join(', ') || 'the gateway'} (GET http://localhost:${port}/health answers ${response.status})`;
      if (report !== lastReport || Date.now() - lastReportAt > 10_000) {
        log(report);
        lastReport = report;
        lastReportAt = Date.now();
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      log(`the gateway on port ${port} is still not healthy after 180 s; see the lines above`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

void main();
