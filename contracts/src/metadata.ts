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

/**
 * A place in the event store's global order, as text (`<commit>/<prepare>`, the runtime's
 * formatPosition): what a command answer or a notification reflects, so a gateway can tell
 * whether the read models have caught up with what a user was told.
 */
export const storePositionSchema = z.string().regex(/^-?\d{1,20}\/-?\d{1,20}$/, 'a store position');
