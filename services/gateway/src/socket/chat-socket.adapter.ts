import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import type { GatewayConfig } from '../config/gateway-config';

/**
 * Builds the Socket.IO server with deliberate limits and the Redis adapter, which carries
 * room broadcasts (typing indicators) between gateways. Notifications from the read side do
 * not use it: every gateway reads them from Kafka and emits to its own sockets only.
 */
export class ChatSocketAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: GatewayConfig,
    private readonly redis: { readonly pub: Redis; readonly sub: Redis },
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { allowedOrigins } = this.config;
    const originAllowed = (origin: string | undefined): boolean =>
      allowedOrigins === '*' || origin === undefined || allowedOrigins.includes(origin);
    const server = super.createIOServer(port, {
      ...options,
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: this.config.maxHttpBufferSize,
      pingInterval: 25_000,
      pingTimeout: 20_000,
      // Polling requests from browsers are checked by CORS; websocket upgrades are not, so
      // every handshake's Origin is checked here too. Clients outside browsers send none.
      cors: { origin: allowedOrigins === '*' ? true : [...allowedOrigins], credentials: true },
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        callback(null, originAllowed(req.headers.origin));
      },
    }) as Server;
    server.adapter(createAdapter(this.redis.pub, this.redis.sub, { key: 'chat-socket.io' }));
    return server;
  }
}
