import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Topic } from '@chat/contracts';
import type { Outcome } from '../command-handling/command-handler';
import { CommandProcessor, type StreamGroup } from './command-processor';

/** Emitted by the Kafka transport after every consumer-group join. */
export const PARTITIONS_REASSIGNED = 'chat.messaging.partitions-reassigned';

/** The commands topic's handler: the Kafka transport hands it one stream's group at a time. */
@Controller()
export class CommandsController {
  constructor(private readonly processor: CommandProcessor) {}

  @MessagePattern(Topic.Commands)
  handle(@Payload() group: StreamGroup): Promise<Outcome[]> {
    return this.processor.process(group);
  }

  /**
   * Partitions moved between instances. An append with a stale cached state would fail on its
   * expected revision, but a rejection appends nothing, so it could be decided on stale state:
   * start from the store again.
   */
  @EventPattern(PARTITIONS_REASSIGNED)
  reassigned(): void {
    this.processor.forgetCachedState();
  }
}
