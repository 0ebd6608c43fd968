import type { Server } from 'node:http';
import { serveHealth } from '@chat/runtime';
import type { EventExport } from '../export/event-export';
import type { LagMonitor } from './lag-monitor';
import type { ProjectionWorker } from './projection-worker';

/**
 * GET /health: 200 while the worker applies events and the export publishes them (with
 * their positions and lag), 503 with the reason otherwise. GET /metrics: the same figures in
 * Prometheus's text format.
 */
export function startHealthServer(options: {
  worker: Pick<ProjectionWorker, 'status'>;
  lag: LagMonitor;
  /** Absent when the export is switched off (EVENT_EXPORT=off). */
  exporter?: Pick<EventExport, 'status'>;
  exportLag?: LagMonitor;
  port: number;
  host: string;
}): Promise<Server> {
  // Lag is measured per request: a cached figure would say "caught up" about events
  // appended since it was taken.
  const figures = async () => {
    const { exporter, exportLag: exportLagMonitor } = options;
    const [lag, exportLag] = await Promise.all([
      options.lag.measure().catch(() => options.lag.current),
      exportLagMonitor?.measure().catch(() => exportLagMonitor.current),
    ]);
    return { lag, exportLag, status: options.worker.status(), exported: exporter?.status() };
  };
  return serveHealth({
    port: options.port,
    host: options.host,
    service: 'projections',
    check: async () => {
      const { lag, exportLag, status, exported } = await figures();
      return {
        healthy: status.running && (exported?.running ?? true),
        details: {
          checkpoint: status.checkpoint,
          head: lag?.head ?? null,
          lagEvents: lag?.events ?? null,
          lagCapped: lag?.capped ?? false,
          lastEventAt: status.lastEventAt,
          appliedEvents: status.appliedEvents,
          batches: status.batches,
          buffered: status.buffered,
          error: status.error,
          export: exported ? { ...exported, lagEvents: exportLag?.events ?? null, lagCapped: exportLag?.capped ?? false } : null,
        },
      };
    },
    metrics: async () => {
      const { lag, exportLag, status, exported } = await figures();
      const [commit, prepare] = (status.checkpoint ?? '-1/-1').split('/');
      return [
        ...metric('projections_up', 'gauge', '1 while the worker applies events.', status.running ? 1 : 0),
        ...metric('projections_lag_events', 'gauge', 'Events in the store after the checkpoint (capped).', lag?.events ?? 0),
        ...metric('projections_applied_events_total', 'counter', 'Events applied since the worker started.', status.appliedEvents),
        ...metric('projections_checkpoint_commit', 'gauge', 'Commit part of the checkpoint position.', commit),
        ...metric('projections_checkpoint_prepare', 'gauge', 'Prepare part of the checkpoint position.', prepare),
        ...(exported
          ? [
              ...metric('events_export_up', 'gauge', "1 while the export publishes events to the analysts' topic.", exported.running ? 1 : 0),
              ...metric('events_export_lag_events', 'gauge', 'Events in the store after the last one known published (capped).', exportLag?.events ?? 0),
              ...metric('events_export_published_total', 'counter', 'Events published since the export started.', exported.publishedEvents),
            ]
          : []),
        '',
      ].join('\n');
    },
  });
}

/** One metric in Prometheus's text format. */
function metric(name: string, type: 'gauge' | 'counter', help: string, value: number | string | undefined): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value ?? ''}`];
}
