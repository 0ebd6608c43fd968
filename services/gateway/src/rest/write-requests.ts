import { type Command, type CommandAccepted, ErrorMessage, type ParseResult } from '@chat/contracts';
import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandBus, CommandTimeoutError } from '../commands/command-bus';
import { RestError, statusOfRejection } from './rest-errors';

type CommandInput = Pick<Command, 'type' | 'data'>;

/**
 * A REST request that changes something: one command, its answer as a status code, then
 * (read-your-writes) a wait until the read model shows the change, so the response and the
 * client's next request see it.
 */
@Injectable()
export class WriteRequests {
  constructor(private readonly commands: CommandBus) {}

  async run(userId: string, input: CommandInput): Promise<CommandAccepted> {
    const command = {
      ...input,
      version: 1,
      commandId: randomUUID(),
      metadata: this.commands.metadata({ userId }),
    } as Command;
    let result;
    try {
      result = await this.commands.dispatch(command);
    } catch (err) {
      if (err instanceof CommandTimeoutError) throw new RestError(HttpStatus.SERVICE_UNAVAILABLE, ErrorMessage.RequestTimedOut);
      throw err;
    }
    if (result.type === 'CommandRejected') {
      const message = result.code === 'internal' ? ErrorMessage.FailedToProcess : result.message;
      throw new RestError(statusOfRejection[result.code], message);
    }
    return result;
  }

  /** Polls `read` until `settled` holds for what it returns; 503 if the read model lags too far. */
  async readYourWrite<T>(read: () => Promise<T>, settled: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let delay = 2;
    for (;;) {
      const value = await read();
      if (settled(value)) return value;
      if (Date.now() > deadline) throw new RestError(HttpStatus.SERVICE_UNAVAILABLE, ErrorMessage.RequestTimedOut);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 50);
    }
  }
}

/** A body or query that does not parse: 400 with what is wrong. */
export function parsedOrBadRequest<T>(result: ParseResult<T>): T {
  if (!result.success) throw new RestError(HttpStatus.BAD_REQUEST, result.message);
  return result.data;
}
