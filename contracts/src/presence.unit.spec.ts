import { parsePresenceReport, presencePartitionKey } from './presence';

const userId = '507f1f77bcf86cd799439011';
const at = '2026-11-24T04:00:00.000Z';

describe('presence reports', () => {
  it('accepts socket reports and heartbeats, and keys them by user or gateway', () => {
    const connected = parsePresenceReport({ type: 'SocketConnected', version: 1, userId, gatewayId: 'gw-1', socketId: 's1', at });
    expect(connected.success && presencePartitionKey(connected.data)).toBe(userId);
    const heartbeat = parsePresenceReport({ type: 'GatewayHeartbeat', version: 1, gatewayId: 'gw-1', at, ttlMs: 20_000 });
    expect(heartbeat.success && presencePartitionKey(heartbeat.data)).toBe('gw-1');
  });

  it('refuses what does not fit', () => {
    const bad = [
      { type: 'SocketConnected', version: 1, userId: 'abc', gatewayId: 'gw-1', socketId: 's1', at },
      { type: 'SocketConnected', version: 2, userId, gatewayId: 'gw-1', socketId: 's1', at },
      { type: 'SocketGone', version: 1, userId, gatewayId: 'gw-1', socketId: 's1', at },
      { type: 'GatewayHeartbeat', version: 1, gatewayId: 'gw-1', at, ttlMs: 10 },
      { type: 'GatewayHeartbeat', version: 1, gatewayId: '', at, ttlMs: 20_000 },
      JSON.parse(`{"type":"SocketDisconnected","version":1,"userId":"${userId}","gatewayId":"g","socketId":"s","at":"${at}","__proto__":{}}`),
    ];
    for (const raw of bad) expect(parsePresenceReport(raw).success).toBe(false);
  });
});
