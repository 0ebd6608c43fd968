import type { ReadModelQueries } from '@chat/projections/read-models';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Authenticator } from './auth/authenticator';
import { CommandBus } from './commands/command-bus';
import { ReadYourWrites } from './consistency/read-your-writes';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway-config';
import { HEALTH_DEPENDENCIES, HealthController } from './health/health.controller';
import type { HealthDependencies } from './health/health-checks';
import { MediaController } from './media/media.controller';
import { MediaUploads } from './media/media-uploads';
import { PresenceReporter } from './presence/presence-reporter';
import { ConversationsController } from './rest/conversations.controller';
import { MessagesController } from './rest/messages.controller';
import { READ_MODELS } from './rest/read-models.token';
import { AdminKeyGuard, UserGuard } from './rest/rest-auth';
import { RestExceptionFilter } from './rest/rest-errors';
import { UsersController } from './rest/users.controller';
import { WriteRequests } from './rest/write-requests';
import { ChatGateway } from './socket/chat.gateway';
import { ConversationAccess } from './socket/conversation-access';

export interface GatewayDependencies {
  readonly config: GatewayConfig;
  readonly queries: ReadModelQueries;
  readonly authenticator: Authenticator;
  readonly commands: CommandBus;
  readonly readYourWrites: ReadYourWrites;
  readonly access: ConversationAccess;
  readonly presence: PresenceReporter;
  readonly health: HealthDependencies;
}

/** The edge: built around clients made in main.ts, so tests and main wire the same objects. */
@Module({})
export class GatewayModule {
  static register(deps: GatewayDependencies): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [UsersController, ConversationsController, MessagesController, MediaController, HealthController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: deps.config },
        { provide: READ_MODELS, useValue: deps.queries },
        { provide: Authenticator, useValue: deps.authenticator },
        { provide: CommandBus, useValue: deps.commands },
        { provide: ReadYourWrites, useValue: deps.readYourWrites },
        { provide: ConversationAccess, useValue: deps.access },
        { provide: PresenceReporter, useValue: deps.presence },
        { provide: HEALTH_DEPENDENCIES, useValue: deps.health },
        { provide: MediaUploads, useValue: new MediaUploads(deps.config.mediaUrl) },
        { provide: APP_FILTER, useClass: RestExceptionFilter },
        WriteRequests,
        UserGuard,
        AdminKeyGuard,
        ChatGateway,
      ],
    };
  }
}
