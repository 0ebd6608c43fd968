import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { endpointsInEnv, toEndpoints } from '@chat/runtime';
import { KafkaCommandServer } from './kafka/kafka-command.server';
import { MessagingModule } from './messaging.module';

/** The messaging service: a NestJS microservice on the commands topic. */
async function bootstrap(): Promise<void> {
  const endpoints = toEndpoints(endpointsInEnv());
  const app = await NestFactory.createMicroservice(MessagingModule.register(endpoints), {
    strategy: new KafkaCommandServer({
      brokers: endpoints.kafkaBrokers,
      // One group per deployment; tests run their own so they never share partitions.
      groupId: process.env.MESSAGING_GROUP_ID?.trim() || 'messaging',
    }),
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen();
  new Logger('messaging').log(`consuming commands from ${endpoints.kafkaBrokers.join(',')}`);
}

bootstrap().catch((err: unknown) => {
  console.error('messaging failed to start:', err);
  process.exit(1);
});
