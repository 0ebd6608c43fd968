import { createServer } from 'node:net';

/** True when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Ports handed out below the kernel's ephemeral range (Linux: 32768–60999), so that no
 * outgoing connection (to Kafka, PostgreSQL, …) can be holding one by the time a service
 * binds it: a port from `listen(0)` comes from that very range, and a test once lost its
 * messaging service to a client connection that took the port in between. The local
 * servers' default ports lie outside this window.
 */
const PICK_FROM = 20_000;
const PICK_TO = 32_000;
const reservedPorts = new Set([25432, 26379, 29092, 29093]);
/** Never the same port twice from one process. */
const handedOut = new Set<number>();

/** A port free right now on host, from below the ephemeral range. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM));
    if (handedOut.has(port) || reservedPorts.has(port)) continue;
    if (await isPortFree(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  return kernelFreePort(host);
}

/** A port the kernel says is free right now (from its ephemeral range): the fallback. */
function kernelFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the bound port'));
      });
    });
  });
}

/**
 * Chooses a port for one local server. A port the operator set explicitly must be free: we
 * never guess around an explicit choice. A default port that is taken (another checkout's
 * servers, a system service) is replaced by a free one, and the caller logs which.
 */
export async function choosePort(
  name: string,
  explicit: number | undefined,
  fallback: number,
  taken: ReadonlySet<number>,
): Promise<{ port: number; replacedDefault: boolean }> {
  if (explicit !== undefined) {
    if (taken.has(explicit) || !(await isPortFree(explicit))) {
      throw new Error(`${name}: port ${explicit} is already in use on 127.0.0.1 (set by its environment variable)`);
    }
    return { port: explicit, replacedDefault: false };
  }
  if (!taken.has(fallback) && (await isPortFree(fallback))) return { port: fallback, replacedDefault: false };
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) return { port, replacedDefault: true };
  }
}
