import { type CommandOf, WIRE_ID_LIST_MAX } from '@chat/contracts';
import type { OnlineLookup } from '@chat/runtime';
import type { Decided } from '../command-handling/command-handler';
import { followUpCommandId } from '../command-handling/event-ids';
import type { ConversationCommand, ConversationEvent, ConversationState } from '../domain/conversation.decider';

/** A message just sent and who could have received it, in the order they joined. */
export interface SentToMembers {
  readonly command: ConversationCommand;
  readonly messageId: string;
  readonly recipients: readonly string[];
}

/** The messages a group sent, each with its recipients (every other current member). */
export function sentMessages(decided: readonly Decided<ConversationCommand, ConversationEvent>[], state: ConversationState): SentToMembers[] {
  if (state.status === 'not_created') return [];
  const sent: SentToMembers[] = [];
  for (const { command, events } of decided) {
    for (const event of events) {
      if (event.type !== 'MessageSent') continue;
      const { senderId, messageId } = event.data;
      sent.push({ command, messageId, recipients: [...state.participants].filter((member) => member !== senderId) });
    }
  }
  return sent;
}

/**
 * MarkMessageDelivered for the messages that reached someone online: each to its first
 * recipient online (the contract's "delivered" means at least one), the messages that went
 * to the same recipient in one command. Unanswered: the sender hears `message:delivered`
 * from the event, and the send's own answer stays the send's.
 */
export function deliveredCommands(
  conversationId: string,
  sent: readonly SentToMembers[],
  online: ReadonlySet<string>,
): CommandOf<'MarkMessageDelivered'>[] {
  const byRecipient = new Map<string, SentToMembers[]>();
  for (const message of sent) {
    const recipient = message.recipients.find((member) => online.has(member));
    if (recipient === undefined) continue;
    const messages = byRecipient.get(recipient);
    if (messages) messages.push(message);
    else byRecipient.set(recipient, [message]);
  }
  const commands: CommandOf<'MarkMessageDelivered'>[] = [];
  for (const [recipientId, messages] of byRecipient) {
    for (let i = 0; i < messages.length; i += WIRE_ID_LIST_MAX) {
      const chunk = messages.slice(i, i + WIRE_ID_LIST_MAX);
      const first = chunk[0];
      if (!first) continue;
      const { metadata } = first.command;
      commands.push({
        type: 'MarkMessageDelivered',
        version: 1,
        // From the first message's command: a redelivered send is a duplicate and decides no follow-up at all.
        commandId: followUpCommandId(first.command.commandId, `delivered/${recipientId}`),
        data: { conversationId, messageIds: chunk.map((message) => message.messageId), recipientId },
        metadata: {
          userId: recipientId,
          gatewayId: metadata.gatewayId,
          correlationId: metadata.correlationId,
          causationId: first.command.commandId,
          ...(metadata.traceparent === undefined ? {} : { traceparent: metadata.traceparent }),
          ...(metadata.tracestate === undefined ? {} : { tracestate: metadata.tracestate }),
          issuedAt: metadata.issuedAt,
          unanswered: true,
        },
      });
    }
  }
  return commands;
}

/**
 * The conversation streams' follow-up: messages sent to a recipient online right now are
 * delivered in the same append. Who is online is presence's record in Redis, asked once per
 * group; when it cannot be asked (Redis away), the messages are appended undelivered, as for
 * a recipient offline, and are marked when the recipient next comes online.
 */
export function deliverAtSend(online: OnlineLookup, log: (line: string) => void) {
  return async (decided: readonly Decided<ConversationCommand, ConversationEvent>[], state: ConversationState): Promise<ConversationCommand[]> => {
    const sent = sentMessages(decided, state);
    if (sent.length === 0 || state.status === 'not_created') return [];
    const members = [...new Set(sent.flatMap((message) => message.recipients))];
    let flags: boolean[];
    try {
      flags = await online.hasSockets(members);
    } catch (err) {
      log(`who is online could not be read; ${sent.length} message(s) appended undelivered: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
    return deliveredCommands(state.conversationId, sent, new Set(members.filter((_, index) => flags[index])));
  };
}
