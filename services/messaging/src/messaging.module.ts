import { type DynamicModule, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createEventStore, type EventStore, type Endpoints } from '@chat/runtime';
import { TelemetryShutdown } from '@chat/runtime/telemetry';
import { CommandHandler } from './command-handling/command-handler';
import { COMMAND_HANDLER, CommandProcessor } from './commands/command-processor';
import { CommandsController } from './commands/commands.controller';

export const EVENT_STORE = Symbol('EventStore');

class EventStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class MessagingModule {
  static register(endpoints: Endpoints): DynamicModule {
    return {
      module: MessagingModule,
      controllers: [CommandsController],
      providers: [
        { provide: EVENT_STORE, useFactory: () => createEventStore(endpoints) },
        {
          provide: COMMAND_HANDLER,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => {
            const handler = new CommandHandler({ store });
            const logger = new Logger('snapshots');
            handler.onSnapshotError = (stream, err) =>
              logger.warn(`snapshot of ${stream} not stored: ${err instanceof Error ? err.message : String(err)}`);
            return handler;
          },
        },
        CommandProcessor,
        EventStoreLifecycle,
        TelemetryShutdown,
      ],
    };
  }
}
