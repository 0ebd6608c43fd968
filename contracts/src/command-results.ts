import { z } from 'zod';
import { commandTypeSchema } from './commands';
import { objectIdSchema } from './ids';
import { gatewayIdSchema, socketIdSchema, storePositionSchema } from './metadata';
import { guarded, parseWith, ParseResult } from './parsing';

/**
 * The messaging service's answer to one command, on the command-results topic, for the
 * gateway that issued it: a socket command's acknowledgement or `error` event, a REST
 * request's response. Read-model changes reach clients separately, as notifications.
 */
const resultFields = {
  version: z.literal(1),
  commandId: z.uuid(),
  gatewayId: gatewayIdSchema,
  /** Absent for REST commands. */
  socketId: socketIdSchema.optional(),
  commandType: commandTypeSchema,
};

export const commandAcceptedSchema = z.object({
  type: z.literal('CommandAccepted'),
  ...resultFields,
  /** What the caller needs to hear back; which fields depends on the command. */
  result: z.object({
    conversationId: objectIdSchema.optional(),
    messageId: objectIdSchema.optional(),
    userId: objectIdSchema.optional(),
    /** The command repeated one already decided (same clientMessageId or commandId): nothing new happened. */
    duplicate: z.boolean().optional(),
  }),
  /** Where the command's events are in the store; absent when it appended nothing. */
  position: storePositionSchema.optional(),
});

/**
 * Why a command was refused, independent of wording: REST maps it to a status code
 * (404, 403, 400, 409, 500 for `internal`: the command could not be handled and went to the
 * dead-letter topic), sockets ignore it and show `message`.
 */
export const rejectionCodeSchema = z.enum(['not_found', 'forbidden', 'invalid', 'conflict', 'internal']);
export type RejectionCode = z.output<typeof rejectionCodeSchema>;

export const commandRejectedSchema = z.object({
  type: z.literal('CommandRejected'),
  ...resultFields,
  code: rejectionCodeSchema,
  /** The client-facing error string (errors.ts), sent as is. */
  message: z.string().min(1),
});

export const commandResultSchema = guarded(z.discriminatedUnion('type', [commandAcceptedSchema, commandRejectedSchema]));

export type CommandAccepted = z.output<typeof commandAcceptedSchema>;
export type CommandRejected = z.output<typeof commandRejectedSchema>;
export type CommandResult = z.output<typeof commandResultSchema>;

export function parseCommandResult(raw: unknown): ParseResult<CommandResult> {
  return parseWith(commandResultSchema, raw);
}
