import { type DynamicModule, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { connectOnlineUsers, createEventStore, type EventStore, type Endpoints } from '@chat/runtime';
import { TelemetryShutdown } from '@chat/runtime/telemetry';
import { CommandHandler } from './command-handling/command-handler';
import { COMMAND_HANDLER, CONVERSATION_KIND, CommandProcessor } from './commands/command-processor';
import { conversationKindDelivering } from './commands/command-routing';
import { CommandsController } from './commands/commands.controller';

export const EVENT_STORE = Symbol('EventStore');
const ONLINE_USERS = Symbol('OnlineUsers');

type OnlineUsersConnection = ReturnType<typeof connectOnlineUsers>;

class OnlineUsersLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ONLINE_USERS) private readonly connection: OnlineUsersConnection) {}

  onApplicationShutdown(): void {
    this.connection.close();
  }
}

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
        {
          provide: ONLINE_USERS,
          useFactory: () => {
            const logger = new Logger('presence');
            return connectOnlineUsers(endpoints.redisUrl, (line) => logger.warn(line));
          },
        },
        {
          provide: CONVERSATION_KIND,
          inject: [ONLINE_USERS],
          useFactory: (connection: OnlineUsersConnection) => {
            const logger = new Logger('delivered-at-send');
            return conversationKindDelivering(connection.online, (line) => logger.warn(line));
          },
        },
        CommandProcessor,
        EventStoreLifecycle,
        OnlineUsersLifecycle,
        TelemetryShutdown,
      ],
    };
  }
}
