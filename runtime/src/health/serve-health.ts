import { type Server, createServer } from 'node:http';

export interface HealthCheckResult {
  readonly healthy: boolean;
  /** Extra figures for the body (never secrets). */
  readonly details?: Record<string, unknown>;
}

/**
 * A service's `GET /health` on its own port: 200 `{ status: 'ok', service, … }` while
 * `check` says healthy, 503 `{ status: 'error', … }` otherwise. What `npm start` and the
 * gateway's own /health ask each service behind it. With `metrics`, also `GET /metrics` in
 * Prometheus's text format.
 */
export function serveHealth(options: {
  readonly port: number;
  readonly host: string;
  readonly service: string;
  readonly check: () => HealthCheckResult | Promise<HealthCheckResult>;
  readonly metrics?: () => string | Promise<string>;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const { metrics } = options;
    if (req.method === 'GET' && req.url === '/metrics' && metrics) {
      Promise.resolve()
        .then(() => metrics())
        .then(
          (text) => {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`# metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
          },
        );
      return;
    }
    if (req.method !== 'GET' || req.url !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', message: 'Not found' }));
      return;
    }
    Promise.resolve()
      .then(() => options.check())
      .then(
        ({ healthy, details }) => {
          res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: healthy ? 'ok' : 'error', service: options.service, ...details }));
        },
        (err: unknown) => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'error', service: options.service, error: err instanceof Error ? err.message : String(err) }));
        },
      );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
