import { createServer, type Server } from 'node:net';
import { choosePort, freePort, isPortFree } from './ports';

describe('port choice for local servers', () => {
  let occupied: Server;
  let busyPort: number;

  beforeAll(async () => {
    busyPort = await freePort();
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(busyPort, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => occupied.close(() => resolve()));
  });

  it('sees a bound port as taken', async () => {
    expect(await isPortFree(busyPort)).toBe(false);
  });

  it('refuses an explicitly configured port that is taken, naming the server', async () => {
    await expect(choosePort('redis', busyPort, 1, new Set())).rejects.toThrow(`redis: port ${busyPort} is already in use`);
  });

  it('replaces a busy default with a free port', async () => {
    const chosen = await choosePort('redis', undefined, busyPort, new Set());
    expect(chosen.replacedDefault).toBe(true);
    expect(chosen.port).not.toBe(busyPort);
    expect(await isPortFree(chosen.port)).toBe(true);
  });

  it('keeps a free default, and never hands out a port already chosen in this run', async () => {
    const free = await freePort();
    expect(await choosePort('kafka', undefined, free, new Set())).toEqual({ port: free, replacedDefault: false });
    const other = await choosePort('kafka', undefined, free, new Set([free]));
    expect(other.port).not.toBe(free);
  });
});
