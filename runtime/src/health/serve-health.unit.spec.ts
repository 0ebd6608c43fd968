import type { AddressInfo } from 'node:net';
import { serveHealth } from './serve-health';

// On loopback, port 0: the health endpoint as the services serve it, without any server behind.
async function serve(options: Omit<Parameters<typeof serveHealth>[0], 'port' | 'host' | 'service'>) {
  const server = await serveHealth({ port: 0, host: '127.0.0.1', service: 'test', ...options });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('serveHealth', () => {
  it('answers 200 with the details while healthy, 503 when not or when the check throws, 404 elsewhere', async () => {
    let state: 'ok' | 'down' | 'throws' = 'ok';
    const { base, close } = await serve({
      check: () => {
        if (state === 'throws') throw new Error('boom');
        return { healthy: state === 'ok', details: { lagEvents: 3 } };
      },
    });
    try {
      const ok = await fetch(`${base}/health`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ status: 'ok', service: 'test', lagEvents: 3 });
      state = 'down';
      expect((await fetch(`${base}/health`)).status).toBe(503);
      state = 'throws';
      const thrown = await fetch(`${base}/health`);
      expect(thrown.status).toBe(503);
      expect(await thrown.json()).toEqual({ status: 'error', service: 'test', error: 'boom' });
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      await close();
    }
  });

  it('serves /metrics in Prometheus text when given, 500 when they cannot be gathered', async () => {
    let fail = false;
    const { base, close } = await serve({
      check: () => ({ healthy: true }),
      metrics: async () => {
        if (fail) throw new Error('store down');
        return '# TYPE up gauge\nup 1\n';
      },
    });
    try {
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4');
      expect(await response.text()).toBe('# TYPE up gauge\nup 1\n');
      fail = true;
      const failed = await fetch(`${base}/metrics`);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain('store down');
    } finally {
      await close();
    }
  });
});
