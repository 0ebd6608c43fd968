import { type Attributes, type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';

/** W3C trace context as our messages carry it (command and event metadata, notifications). */
export interface TraceContext {
  traceparent?: string;
  tracestate?: string;
}

export { SpanKind };

const tracer = () => trace.getTracer('chat-backend');

/** The active span's context, to put into a message that leaves this process. */
export function activeTraceContext(): TraceContext {
  return traceContextOf(context.active());
}

function traceContextOf(from: Context): TraceContext {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  const out: TraceContext = {};
  if (carrier.traceparent) out.traceparent = carrier.traceparent;
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}

function contextOf(parent: TraceContext | undefined): Context {
  if (!parent?.traceparent) return context.active();
  const carrier: Record<string, string> = { traceparent: parent.traceparent };
  if (parent.tracestate) carrier.tracestate = parent.tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The context a message brought from another process; absent: the active one. */
  readonly parent?: TraceContext;
}

/**
 * Runs `work` inside a new span (the active one while it runs, so spans of the libraries it
 * calls, and the trace context of messages it sends, hang below it). A failure is recorded on
 * the span and rethrown. Without an SDK started (no OTEL_EXPORTER_OTLP_ENDPOINT) the API is a
 * no-op and this costs next to nothing.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} }, contextOf(options.parent), async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * A span started now and ended by the caller, for work that is not one call (an event whose
 * projection is part of a batch). `traceContext` is what to hand on to what follows from it.
 */
export function startSpan(name: string, options: SpanOptions): { readonly span: Span; readonly traceContext: TraceContext } {
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} }, contextOf(options.parent));
  return { span, traceContext: traceContextOf(trace.setSpan(ROOT_CONTEXT, span)) };
}

/** Runs `work` with `span` as the active span (library spans and sent messages hang below it). */
export function withActiveSpan<T>(span: Span, work: () => T): T {
  return context.with(trace.setSpan(context.active(), span), work);
}
