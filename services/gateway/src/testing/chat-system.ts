import type { ClientToServerEvents, ConversationView, ServerToClientEvents, UserView } from '@chat/contracts';
import { AccessTokens, DEV_JWT_SECRET, endpointsInEnv, freePort, toEndpoints } from '@chat/runtime';
import { ServiceProcess, buildWorkspaces, waitFor } from '@chat/runtime/testing';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ManagerOptions, type Socket, type SocketOptions, io } from 'socket.io-client';
import { DEV_ADMIN_API_KEY } from '../config/gateway-config';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface RestAnswer<T = unknown> {
  readonly status: number;
  readonly body: { success: true; data: T } | { success: false; message: string };
}

/**
 * The services' environment for one run of the whole system with state of its own: a
 * read-model database, consumer groups and a Redis prefix named after the run, free health
 * ports the gateway is told about, loopback only. `label` names the run's kind (e2e, bench).
 */
export async function isolatedSystemEnv(mongoUrl: string, label: string): Promise<NodeJS.ProcessEnv> {
  const run = `${label}_${randomUUID().slice(0, 8)}`;
  const database = new URL(mongoUrl);
  database.pathname = `/${run}`;
  const [messagingPort, projectionsPort, presencePort, mediaPort, gatewayPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  return {
    // The first gateway's port: files are issued at its address.
    PORT: String(gatewayPort),
    MONGODB_URL: database.toString(),
    MESSAGING_GROUP_ID: `messaging-${run}`,
    MESSAGING_PORT: String(messagingPort),
    MESSAGING_HEALTH_URL: `http://127.0.0.1:${messagingPort}/health`,
    PROJECTIONS_PORT: String(projectionsPort),
    PROJECTIONS_HEALTH_URL: `http://127.0.0.1:${projectionsPort}/health`,
    // Systems on one shared store would each export all of it to the one analysts' topic,
    // which must have one exporter (its tests: services/projections/src/export).
    EVENT_EXPORT: 'off',
    PRESENCE_PORT: String(presencePort),
    PRESENCE_HEALTH_URL: `http://127.0.0.1:${presencePort}/health`,
    PRESENCE_GROUP_ID: `presence-${run}`,
    PRESENCE_KEY_PREFIX: `presence-${run}:`,
    MEDIA_PORT: String(mediaPort),
    MEDIA_URL: `http://127.0.0.1:${mediaPort}`,
    MEDIA_DIR: join(tmpdir(), `chat-media-${run}`),
    MEDIA_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    HOST: '127.0.0.1',
  };
}

/** Waits until a gateway's /health (which covers every part behind it) answers 200. */
export async function waitUntilHealthy(gatewayUrl: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => (await fetch(`${gatewayUrl}/health`).catch(() => undefined))?.status === 200,
    timeoutMs,
    () => `${gatewayUrl}/health to answer 200`,
  );
}

/**
 * The whole system as `npm start` runs it (messaging, projections, one or more gateways,
 * each its own process) on the test infrastructure, with a read-model database and consumer
 * groups of its own, so suites never share state. What a client can do goes through the
 * wire only: REST with fetch, Socket.IO with the real client.
 */
export class ChatSystem {
  readonly tokens = new AccessTokens(DEV_JWT_SECRET);
  private readonly sockets: ClientSocket[] = [];

  private constructor(
    readonly messaging: ServiceProcess,
    readonly projections: ServiceProcess,
    readonly presence: ServiceProcess,
    readonly media: ServiceProcess,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  readonly gateways: { readonly url: string; readonly process: ServiceProcess }[] = [];

  /**
   * Presence runs with short timings (heartbeat 500 ms, so a dead gateway is gone after 2 s;
   * 1 s grace) so its tests stay short, and the REST burst is generous; `env` overrides anything.
   */
  static async start(options: { gateways?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ChatSystem> {
    buildWorkspaces();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...(await isolatedSystemEnv(toEndpoints(endpointsInEnv()).mongoUrl, 'e2e')),
      // Suites fire many anonymous requests (every bad-token case) from one address; the
      // limiter itself is tested with its defaults in gateway.e2e.spec.ts.
      REST_REQUESTS_BURST: '2000',
      // The suites' messages carry media at these made-up hosts; media.e2e uploads real files.
      MEDIA_ALLOWED_HOSTS: 'cdn.example.com,res.cloudinary.com',
      PRESENCE_HEARTBEAT_MS: '500',
      PRESENCE_GATEWAY_TTL_MS: '2000',
      PRESENCE_GRACE_MS: '1000',
      PRESENCE_SWEEP_MS: '200',
      ...options.env,
    };
    const system = new ChatSystem(
      new ServiceProcess({ service: 'messaging', env }),
      new ServiceProcess({ service: 'projections', env, startTimeoutMs: 60_000 }),
      new ServiceProcess({ service: 'presence', env }),
      new ServiceProcess({ service: 'media', env }),
      env,
    );
    try {
      await Promise.all([system.messaging.start(), system.projections.start(), system.presence.start(), system.media.start()]);
      for (let i = 0; i < (options.gateways ?? 1); i++) await system.addGateway();
    } catch (err) {
      // Whatever did start must not outlive the failed start.
      await system.stop();
      throw err;
    }
    return system;
  }

  /** Starts one more gateway on the same backend and waits until it is healthy. */
  async addGateway(): Promise<{ readonly url: string; readonly process: ServiceProcess }> {
    // The first on the port files are issued at (isolatedSystemEnv), the others anywhere.
    const port = this.gateways.length === 0 ? Number(this.env.PORT) : await freePort();
    const gateway = { url: `http://127.0.0.1:${port}`, process: new ServiceProcess({ service: 'gateway', env: { ...this.env, PORT: String(port) } }) };
    this.gateways.push(gateway);
    await gateway.process.start();
    await waitUntilHealthy(gateway.url);
    return gateway;
  }

  /** Where the media service keeps this system's uploads (MEDIA_DIR). */
  get mediaDir(): string {
    return this.env.MEDIA_DIR as string;
  }

  get url(): string {
    return (this.gateways[0] as { url: string }).url;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.disconnect();
    await Promise.all([
      ...this.gateways.map((g) => g.process.stop()),
      this.messaging.stop(),
      this.projections.stop(),
      this.presence.stop(),
      this.media.stop(),
    ]);
    rmSync(this.env.MEDIA_DIR as string, { recursive: true, force: true });
  }

  async rest<T = unknown>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string>; gateway?: number } = {},
  ): Promise<RestAnswer<T>> {
    const base = (this.gateways[options.gateway ?? 0] as { url: string }).url;
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
    return { status: response.status, body: (await response.json()) as RestAnswer<T>['body'] };
  }

  /** Registers a user through the admin route and returns it with a token for it. */
  async user(name = 'User'): Promise<{ user: UserView; token: string }> {
    const answer = await this.rest<UserView>('POST', '/api/users', { body: { name }, headers: { 'x-admin-key': DEV_ADMIN_API_KEY } });
    if (!answer.body.success) throw new Error(`registering ${name} failed: ${answer.status} ${answer.body.message}`);
    return { user: answer.body.data, token: this.tokens.sign(answer.body.data._id) };
  }

  /** Two registered users and their direct conversation, opened by the first over REST. */
  async pair(firstName: string, secondName: string): Promise<{ first: { user: UserView; token: string }; second: { user: UserView; token: string }; conversationId: string }> {
    const first = await this.user(firstName);
    const second = await this.user(secondName);
    const created = await this.rest<ConversationView>('POST', '/api/conversations', { token: first.token, body: { participantIds: [second.user._id] } });
    if (!created.body.success) throw new Error(`opening ${firstName} and ${secondName}'s conversation failed: ${created.status} ${created.body.message}`);
    return { first, second, conversationId: created.body.data._id };
  }

  /** A connected client (rejects with the connect error's message). */
  async connect(token: string | undefined, options: Partial<ManagerOptions & SocketOptions> & { gateway?: number } = {}): Promise<ClientSocket> {
    const { gateway, ...socketOptions } = options;
    const base = (this.gateways[gateway ?? 0] as { url: string }).url;
    const socket: ClientSocket = io(base, {
      ...(token === undefined ? {} : { auth: { token } }),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...socketOptions,
    });
    this.sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return socket;
  }
}

/** The next `event` a socket receives (optionally the first matching `accept`). */
export function next<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  accept: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]): void => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener as never);
      resolve(payload);
    };
    socket.on(event, listener as never);
  });
}

/** Collects every `event` a socket receives from now on. */
export function collect<E extends keyof ServerToClientEvents>(socket: ClientSocket, event: E): Parameters<ServerToClientEvents[E]>[0][] {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  socket.on(event, ((payload: Parameters<ServerToClientEvents[E]>[0]) => seen.push(payload)) as never);
  return seen;
}

/**
 * One system for a test file: started before its first test, stopped after its last. Call at
 * the file's top level; the function it returns gives the running system.
 */
export function chatSystemForFile(options: Parameters<typeof ChatSystem.start>[0] = {}): () => ChatSystem {
  let system: ChatSystem | undefined;
  beforeAll(async () => {
    system = await ChatSystem.start(options);
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
  });
  return () => {
    if (!system) throw new Error('the chat system is not running (used outside a test?)');
    return system;
  };
}
