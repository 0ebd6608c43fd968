import { type Command, KafkaHeader, commandPartitionKey } from '@chat/contracts';
import type { Message } from 'kafkajs';

/**
 * A command as a Kafka message: keyed by its stream (one conversation's commands stay in
 * order on one partition), with the headers tracing and routing read without parsing it.
 */
export function commandMessage(command: Command): Message {
  const { metadata } = command;
  const headers: Record<string, string> = {
    [KafkaHeader.Type]: command.type,
    [KafkaHeader.Version]: String(command.version),
    [KafkaHeader.CommandId]: command.commandId,
    [KafkaHeader.CorrelationId]: metadata.correlationId,
    [KafkaHeader.UserId]: metadata.userId,
    [KafkaHeader.GatewayId]: metadata.gatewayId,
  };
  if (metadata.socketId) headers[KafkaHeader.SocketId] = metadata.socketId;
  if (metadata.traceparent) headers[KafkaHeader.Traceparent] = metadata.traceparent;
  if (metadata.tracestate) headers[KafkaHeader.Tracestate] = metadata.tracestate;
  return { key: commandPartitionKey(command), value: JSON.stringify(command), headers };
}
