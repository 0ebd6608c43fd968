import { intFromEnv, jwtSecretFromEnv } from '@chat/runtime';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Configuration from the environment (API contract, "Running it"), each with its dev default. */
export interface GatewayConfig {
  readonly port: number;
  /** Unset: every interface, IPv4 and IPv6 (Node's default), so `localhost` works whichever way it resolves. */
  readonly host: string | undefined;
  readonly jwtSecret: string;
  readonly adminApiKey: string;
  /** This process's identity on the command-results and notifications topics. */
  readonly gatewayId: string;
  /** Browser origins allowed (CORS for polling and REST, the Origin check for websocket); '*' allows any. */
  readonly allowedOrigins: '*' | readonly string[];
  /**
   * Largest Socket.IO message a client may send, in bytes. Above the largest payload the
   * schemas accept (65,536 characters of text, up to 3 bytes each, plus media and ids), so a
   * too-long text is answered with an error naming it; far beyond, the socket is closed.
   */
  readonly maxHttpBufferSize: number;
  /** Client events per socket per second before they are refused. */
  readonly socketEventsPerSecond: number;
  readonly socketEventsBurst: number;
  /** REST requests per caller (token, else address) per second, and the burst allowed. */
  readonly restRequestsPerSecond: number;
  readonly restRequestsBurst: number;
  /** How long a command may wait for the write side's answer. */
  readonly commandTimeoutMs: number;
  /**
   * Longest a REST request waits for the read models to show what its caller was told of or
   * had accepted (read-your-writes); 0 never waits.
   */
  readonly readYourWritesMaxWaitMs: number;
  /** How often this gateway proves itself alive to presence (it counts as gone after four missed). */
  readonly presenceHeartbeatMs: number;
  /** The media service, which uploads and file downloads are forwarded to. */
  readonly mediaUrl: string;
  /** Health endpoints of the services behind this gateway, checked by GET /health. */
  readonly serviceHealthUrls: Readonly<Record<string, string>>;
}

export const DEV_ADMIN_API_KEY = 'dev-admin-key';

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const jwtSecret = jwtSecretFromEnv(env);
  const adminApiKey = env.ADMIN_API_KEY?.trim() || DEV_ADMIN_API_KEY;
  if (production && adminApiKey === DEV_ADMIN_API_KEY) {
    throw new Error('ADMIN_API_KEY is the development default; set a key of your own when NODE_ENV=production');
  }
  const port = intFromEnv(env, 'PORT', 3100);
  const origins = env.ALLOWED_ORIGINS?.trim();
  const mediaUrl = (env.MEDIA_URL?.trim() || `http://127.0.0.1:${intFromEnv(env, 'MEDIA_PORT', 3104)}`).replace(/\/+$/, '');
  const serviceHealthUrls: Record<string, string> = {
    messaging: env.MESSAGING_HEALTH_URL?.trim() || `http://127.0.0.1:${intFromEnv(env, 'MESSAGING_PORT', 3101)}/health`,
    projections: env.PROJECTIONS_HEALTH_URL?.trim() || `http://127.0.0.1:${intFromEnv(env, 'PROJECTIONS_PORT', 3102)}/health`,
    presence: env.PRESENCE_HEALTH_URL?.trim() || `http://127.0.0.1:${intFromEnv(env, 'PRESENCE_PORT', 3103)}/health`,
    media: `${mediaUrl}/health`,
  };
  return {
    port,
    host: env.HOST?.trim() || undefined,
    jwtSecret,
    mediaUrl,
    adminApiKey,
    gatewayId: env.GATEWAY_ID?.trim() || `gw-${hostname()}-${port}-${randomUUID().slice(0, 8)}`,
    allowedOrigins: !origins || origins === '*' ? '*' : origins.split(',').map((o) => o.trim()).filter(Boolean),
    maxHttpBufferSize: intFromEnv(env, 'SOCKET_MAX_MESSAGE_BYTES', 512 * 1024),
    socketEventsPerSecond: intFromEnv(env, 'SOCKET_EVENTS_PER_SECOND', 50),
    socketEventsBurst: intFromEnv(env, 'SOCKET_EVENTS_BURST', 100),
    restRequestsPerSecond: intFromEnv(env, 'REST_REQUESTS_PER_SECOND', 50),
    restRequestsBurst: intFromEnv(env, 'REST_REQUESTS_BURST', 100),
    commandTimeoutMs: intFromEnv(env, 'COMMAND_TIMEOUT_MS', 15_000),
    readYourWritesMaxWaitMs: intFromEnv(env, 'READ_YOUR_WRITES_MAX_WAIT_MS', 1_000, 0),
    presenceHeartbeatMs: Math.max(250, intFromEnv(env, 'PRESENCE_HEARTBEAT_MS', 5_000)),
    serviceHealthUrls,
  };
}

/** Nest injection token for the configuration. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
