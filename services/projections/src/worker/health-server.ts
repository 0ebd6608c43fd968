import { type Server, type ServerResponse, createServer } from 'node:http';
import type { LagMonitor } from './lag-monitor';
import type { ProjectionWorker } from './projection-worker';

/**
 * GET /health: 200 while the worker applies events (with its checkpoint and lag), 503 with
 * the reason otherwise. GET /metrics: the same figures in Prometheus's text format.
 */
export function startHealthServer(options: {
  worker: Pick<ProjectionWorker, 'status'>;
  lag: LagMonitor;
  port: number;
  host: string;
}): Promise<Server> {
  const server = createServer((req, res) => {
    void respond(req.method, req.url, res);
  });
  // Lag is measured per request: a cached figure would say "caught up" about events
  // appended since it was taken.
  const respond = async (method: string | undefined, url: string | undefined, res: ServerResponse): Promise<void> => {
    const lag = await options.lag.measure().catch(() => options.lag.current);
    const status = options.worker.status();
    const req = { method, url };
    if (req.method === 'GET' && req.url === '/health') {
      const healthy = status.running;
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: healthy ? 'ok' : 'error',
          service: 'projections',
          checkpoint: status.checkpoint,
          head: lag?.head ?? null,
          lagEvents: lag?.events ?? null,
          lagCapped: lag?.capped ?? false,
          lastEventAt: status.lastEventAt,
          appliedEvents: status.appliedEvents,
          batches: status.batches,
          buffered: status.buffered,
          error: status.error,
        }),
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/metrics') {
      const [commit, prepare] = (status.checkpoint ?? '-1/-1').split('/');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        [
          '# HELP projections_up 1 while the worker applies events.',
          '# TYPE projections_up gauge',
          `projections_up ${status.running ? 1 : 0}`,
          '# HELP projections_lag_events Events in the store after the checkpoint (capped).',
          '# TYPE projections_lag_events gauge',
          `projections_lag_events ${lag?.events ?? 0}`,
          '# HELP projections_applied_events_total Events applied since the worker started.',
          '# TYPE projections_applied_events_total counter',
          `projections_applied_events_total ${status.appliedEvents}`,
          '# HELP projections_checkpoint_commit Commit part of the checkpoint position.',
          '# TYPE projections_checkpoint_commit gauge',
          `projections_checkpoint_commit ${commit}`,
          '# HELP projections_checkpoint_prepare Prepare part of the checkpoint position.',
          '# TYPE projections_checkpoint_prepare gauge',
          `projections_checkpoint_prepare ${prepare}`,
          '',
        ].join('\n'),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'error', message: 'Not found' }));
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
