// First: the tracing instrumentations patch libraries as they load.
import { shutdownTelemetry } from '@chat/runtime/telemetry';
import 'reflect-metadata';
import { Topic } from '@chat/contracts';
import { ReadModelQueries } from '@chat/projections/read-models';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { AccessTokens, createKafka, endpointsInEnv, ensureTopics, readStoreClient, reportRedisOutages, toEndpoints } from '@chat/runtime';
import { Authenticator } from './auth/authenticator';
import { CommandBus } from './commands/command-bus';
import { loadGatewayConfig } from './config/gateway-config';
import { GatewayModule } from './gateway.module';
import { NotificationRelay } from './notifications/notification-relay';
import { PresenceReporter } from './presence/presence-reporter';
import { restRateLimit } from './rest/rest-rate-limit';
import { ChatSocketAdapter } from './socket/chat-socket.adapter';
import { ChatGateway } from './socket/chat.gateway';
import { ConversationAccess } from './socket/conversation-access';
import { ReadYourWrites } from './consistency/read-your-writes';

/** The gateway: Socket.IO and REST on PORT (3100). */
async function bootstrap(): Promise<void> {
  const logger = new Logger('gateway');
  const log = (line: string): void => logger.log(line);
  const config = loadGatewayConfig();
  const endpoints = toEndpoints(endpointsInEnv());

  // FerretDB v1 has no retryable writes; the gateway only reads, but one client setting for all.
  const mongo = readStoreClient(endpoints.mongoUrl, 'gateway', log);
  await mongo.connect();
  const queries = new ReadModelQueries(mongo.db());
  const redis = {
    pub: new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 3 }),
    // No CLIENT SETINFO in the handshake: on a reconnect it races the adapter's re-subscription
    // the same way (ioredis #2037).
    sub: new Redis(endpoints.redisUrl, { maxRetriesPerRequest: 3, disableClientInfo: true }),
  };
  for (const [name, client] of Object.entries(redis)) reportRedisOutages(client, name, (line) => logger.warn(line));
  // The Socket.IO adapter subscribes as soon as it is created; a subscription sent while the
  // client is still in its connection handshake can leave the subscriber deaf for good
  // (ioredis #2037), so both clients must be ready first.
  await Promise.all(Object.values(redis).map((client) => (client.status === 'ready' ? undefined : once(client, 'ready'))));
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: `gateway-${config.gatewayId}` });
  await ensureTopics(kafka, [Topic.Commands, Topic.CommandResults, Topic.Notifications, Topic.Presence]);
  const readYourWrites = new ReadYourWrites({ readModelsPosition: () => queries.position(), maxWaitMs: config.readYourWritesMaxWaitMs });
  const commands = new CommandBus(kafka, config.gatewayId, config.commandTimeoutMs, log, (userId, position) => readYourWrites.note([userId], position));
  const presence = new PresenceReporter(kafka, config.gatewayId, config.presenceHeartbeatMs, log);

  const app = await NestFactory.create<NestExpressApplication>(
    GatewayModule.register({
      config,
      queries,
      authenticator: new Authenticator(new AccessTokens(config.jwtSecret), queries),
      commands,
      readYourWrites,
      access: new ConversationAccess(queries),
      presence,
      health: {
        gatewayId: config.gatewayId,
        kafka: () => commands.ready && relay.ready,
        mongo: mongo.db(),
        redis: redis.pub,
        redisSubscriber: redis.sub,
        serviceHealthUrls: config.serviceHealthUrls,
      },
    }),
    { logger: ['error', 'warn', 'log'], bodyParser: true },
  );
  app.disable('x-powered-by');
  app.enableCors({ origin: config.allowedOrigins === '*' ? true : [...config.allowedOrigins], credentials: true });
  app.useWebSocketAdapter(new ChatSocketAdapter(app, config, redis));
  app.use(restRateLimit(config));
  app.enableShutdownHooks();

  const chat = app.get(ChatGateway);
  const relay = new NotificationRelay(kafka, config.gatewayId, (notification) => chat.deliver(notification), log);
  await app.init();
  await Promise.all([commands.start(), relay.start(), presence.start()]);
  if (config.host === undefined) await app.listen(config.port);
  else await app.listen(config.port, config.host);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${signal})`);
    readYourWrites.close();
    await app.close().catch(() => undefined);
    await Promise.allSettled([relay.stop(), commands.stop(), presence.stop()]);
    redis.pub.disconnect();
    redis.sub.disconnect();
    await mongo.close();
    await shutdownTelemetry();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
  log(`gateway ${config.gatewayId} listening on http://${config.host ?? 'localhost'}:${config.port}`);
}

bootstrap().catch((err: unknown) => {
  console.error('gateway failed to start:', err);
  process.exit(1);
});
