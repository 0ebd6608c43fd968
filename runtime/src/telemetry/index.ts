import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { basename, dirname } from 'node:path';

let sdk: NodeSDK | undefined;

/**
 * Starts OpenTelemetry tracing for this process when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names a collector: spans go there over OTLP/HTTP,
 * batched (OTEL_BSP_* tune it). Incoming and outgoing HTTP, Express, PostgreSQL, MongoDB and
 * Redis calls get spans of their own; Kafka hops are traced by hand (runtime's `inSpan`),
 * through the trace context that commands, events and notifications carry.
 *
 * Import this module before anything else in a service's main (`import '@chat/runtime/telemetry'`):
 * the instrumentations patch the libraries as they are loaded. The service name is
 * OTEL_SERVICE_NAME, else the folder under services/ the process runs from.
 */
function startTelemetry(): void {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (!endpoint || process.env.OTEL_SDK_DISABLED === 'true') return;
  const serviceName = process.env.OTEL_SERVICE_NAME?.trim() || basename(dirname(dirname(process.argv[1] ?? 'unknown/dist/main.js')));
  sdk = new NodeSDK({
    serviceName,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      new HttpInstrumentation({
        // Health probes every few seconds would drown the traces that matter.
        ignoreIncomingRequestHook: (req) => (req.url ?? '').endsWith('/health') || (req.url ?? '').startsWith('/socket.io'),
        ignoreOutgoingRequestHook: (req) => String(req.path ?? '').endsWith('/health'),
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
      new MongoDBInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
}

/** Sends the spans still buffered; call before the process exits. */
export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown().catch(() => undefined);
}

startTelemetry();

/** For NestJS services: a provider whose shutdown hook sends the buffered spans. */
export class TelemetryShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTelemetry();
  }
}
