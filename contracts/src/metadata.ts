import { z } from 'zod';
import { GATEWAY_ID_MAX_CHARS, SOCKET_ID_MAX_CHARS, TRACE_HEADER_MAX_CHARS } from './limits';

export const gatewayIdSchema = z.string().min(1).max(GATEWAY_ID_MAX_CHARS);
export const socketIdSchema = z.string().min(1).max(SOCKET_ID_MAX_CHARS);

/**
 * W3C trace context, carried along so that one trace spans socket, Kafka, decider, store,
 * projection and push. Only bounded, never format-checked: a malformed trace header must cost
 * a broken trace, not a rejected command.
 */
export const traceContextFields = {
  traceparent: z.string().max(TRACE_HEADER_MAX_CHARS).optional(),
  tracestate: z.string().max(TRACE_HEADER_MAX_CHARS).optional(),
};
