import { Inject, Injectable } from '@nestjs/common';
import type { Command } from '@chat/contracts';
import type { CommandHandler, Outcome } from '../command-handling/command-handler';
import type { StreamKind } from '../command-handling/command-handler';
import type { ConversationCommand, ConversationEvent, ConversationState } from '../domain/conversation.decider';
import { routeOf, userKind } from './command-routing';

export const COMMAND_HANDLER = Symbol('CommandHandler');
/** How conversation streams are handled here (with the lookup of who is online their follow-ups use). */
export const CONVERSATION_KIND = Symbol('ConversationKind');

/** One stream's commands from one Kafka batch, in their order. */
export interface StreamGroup {
  readonly streamName: string;
  readonly commands: readonly Command[];
}

@Injectable()
export class CommandProcessor {
  constructor(
    @Inject(COMMAND_HANDLER) private readonly handler: CommandHandler,
    @Inject(CONVERSATION_KIND) private readonly conversationKind: StreamKind<ConversationCommand, ConversationEvent, ConversationState>,
  ) {}

  /** Groups are per stream, so every command of one group routes to the same kind. */
  async process(group: StreamGroup): Promise<Outcome[]> {
    const routes = group.commands.map(routeOf);
    const first = routes[0];
    if (!first) return [];
    if (routes.some((r) => r.streamName !== group.streamName || r.kind !== first.kind)) {
      throw new Error(`commands of group ${group.streamName} do not all belong to it`);
    }
    if (first.kind === 'user') {
      return this.handler.handle(userKind, group.streamName, routes.flatMap((r) => (r.kind === 'user' ? [r.command] : [])));
    }
    return this.handler.handle(
      this.conversationKind,
      group.streamName,
      routes.flatMap((r) => (r.kind === 'conversation' ? [r.command] : [])),
    );
  }

  forgetCachedState(): void {
    this.handler.forgetAll();
  }
}
