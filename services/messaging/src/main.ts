// First: the tracing instrumentations patch libraries as they load.
import '@chat/runtime/telemetry';
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { endpointsInEnv, intFromEnv, serveHealth, toEndpoints } from '@chat/runtime';
import { KafkaCommandServer } from './kafka/kafka-command.server';
import { MessagingModule } from './messaging.module';

/** The messaging service: a NestJS microservice on the commands topic. */
async function bootstrap(): Promise<void> {
  const endpoints = toEndpoints(endpointsInEnv());
  const server = new KafkaCommandServer({
    brokers: endpoints.kafkaBrokers,
    // One group per deployment; tests run their own so they never share partitions.
    groupId: process.env.MESSAGING_GROUP_ID?.trim() || 'messaging',
  });
  const app = await NestFactory.createMicroservice(MessagingModule.register(endpoints), {
    strategy: server,
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen();
  const port = intFromEnv(process.env, 'MESSAGING_PORT', 3101);
  const host = process.env.HEALTH_HOST?.trim() || '127.0.0.1';
  const health = await serveHealth({ port, host, service: 'messaging', check: () => ({ healthy: server.ready }) });
  process.once('exit', () => health.close());
  const { port: healthPort } = health.address() as AddressInfo;
  new Logger('messaging').log(`consuming commands from ${endpoints.kafkaBrokers.join(',')}; health on http://${host}:${healthPort}/health`);
}

bootstrap().catch((err: unknown) => {
  console.error('messaging failed to start:', err);
  process.exit(1);
});
