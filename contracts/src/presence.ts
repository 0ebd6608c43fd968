import { z } from 'zod';
import { objectIdSchema } from './ids';
import { gatewayIdSchema, socketIdSchema } from './metadata';
import { guarded, parseWith, type ParseResult } from './parsing';
import { isoDateTimeSchema } from './views';

/**
 * What gateways tell the presence service (topic `chat.presence.v1`). A user is online while
 * at least one socket of theirs is connected on a live gateway; a gateway proves it is alive
 * with heartbeats, so the sockets of one that dies stop counting once its heartbeats stop.
 */
const socketReport = {
  version: z.literal(1),
  userId: objectIdSchema,
  gatewayId: gatewayIdSchema,
  socketId: socketIdSchema,
  at: isoDateTimeSchema,
};

export const presenceReportSchema = guarded(
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('SocketConnected'), ...socketReport }),
    z.object({ type: z.literal('SocketDisconnected'), ...socketReport }),
    z.object({
      type: z.literal('GatewayHeartbeat'),
      version: z.literal(1),
      gatewayId: gatewayIdSchema,
      at: isoDateTimeSchema,
      /** How long the gateway counts as alive without another heartbeat. */
      ttlMs: z.int().min(1_000).max(120_000),
    }),
  ]),
);

export type PresenceReport = z.output<typeof presenceReportSchema>;

export function parsePresenceReport(raw: unknown): ParseResult<PresenceReport> {
  return parseWith(presenceReportSchema, raw);
}

/** The Kafka key: the user for socket reports, the gateway for heartbeats. */
export function presencePartitionKey(report: PresenceReport): string {
  return report.type === 'GatewayHeartbeat' ? report.gatewayId : report.userId;
}
