import type { ConversationView } from '@chat/contracts';
import { freePort } from '@chat/runtime';
import { waitFor } from '@chat/runtime/testing';
import { type Server, createServer } from 'node:http';
import { ChatSystem, next } from './testing/chat-system';

// OpenTelemetry end to end (ARCHITECTURE: "one trace from the socket event through Kafka, the
// command handler, the append, the projection and the push back to the client"): every
// service exports to a collector stand-in that receives OTLP/HTTP JSON, as a real collector
// would, and the test reads the traces back from what arrived.

interface ReceivedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}

interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
  }[];
}

// Spans of other suites' commands and events arrive too: this system's messaging and
// projections share the commands topic and the event store with every system of the run.
const spans: ReceivedSpan[] = [];
let collector: Server;
let system: ChatSystem;

beforeAll(async () => {
  const port = await freePort();
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
        for (const resource of body.resourceSpans ?? []) {
          const service = resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const scope of resource.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              spans.push({ service, name: span.name, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId ?? '' });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(port, '127.0.0.1', resolve));
  system = await ChatSystem.start({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100' } });
}, 180_000);

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => collector?.close(resolve));
});

function find(predicate: (span: ReceivedSpan) => boolean, describe: string): Promise<ReceivedSpan> {
  let found: ReceivedSpan | undefined;
  return waitFor(
    () => (found = spans.find(predicate)) !== undefined,
    20_000,
    () => `${describe}; received: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
  ).then(() => found as ReceivedSpan);
}

const childOf = (parent: ReceivedSpan) => (span: ReceivedSpan) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId;

describe('tracing', () => {
  it('follows send:message as one trace: gateway → messaging (and its append) → projections → gateway push', async () => {
    const { first: alice, second: bob, conversationId } = await system.pair('Alice', 'Bob');
    const a = await system.connect(alice.token);
    const b = await system.connect(bob.token);
    for (const socket of [a, b]) await socket.emitWithAck('join:conversation', { conversationId });

    const arrived = next(b, 'new:message');
    const ack = (await a.emitWithAck('send:message', { conversationId, text: 'traced', messageType: 'text' })) as { messageId: string };
    expect((await arrived).message._id).toBe(ack.messageId);

    const socketSpan = await find((s) => s.service === 'gateway' && s.name === 'socket send:message', 'the gateway span of the socket event');
    const handled = await find((s) => s.service === 'messaging' && s.name === 'handle SendMessage' && childOf(socketSpan)(s), 'messaging handling the command, below it');
    // The append to the event store happens inside the handling (PostgreSQL spans below it).
    await find((s) => s.service === 'messaging' && childOf(handled)(s), 'a span of the append below the handling');
    const projected = await find((s) => s.service === 'projections' && s.name === 'project MessageSent' && childOf(handled)(s), 'the projection of the event');
    await find((s) => s.service === 'gateway' && s.name === 'emit new:message' && childOf(projected)(s), 'the push of new:message to the room');

  });

  it('continues a REST request into the write side', async () => {
    const carol = await system.user('Carol');
    const dave = await system.user('Dave');
    const created = await system.rest<ConversationView>('POST', '/api/conversations', { token: carol.token, body: { participantIds: [dave.user._id], name: 'Traced group' } });
    expect(created.status).toBe(201);
    // This system's messaging and projections also see the commands and events of suites
    // running beside it (one topic, one store), so only spans below this gateway's count.
    const fromThisGateway = (s: ReceivedSpan): boolean =>
      spans.some((parent) => parent.service === 'gateway' && parent.spanId === s.parentSpanId && parent.traceId === s.traceId);
    const handled = await find(
      (s) => s.service === 'messaging' && s.name === 'handle CreateGroupConversation' && fromThisGateway(s),
      'messaging handling the REST request, below a span of this gateway',
    );
    await find((s) => s.service === 'projections' && s.name === 'project GroupConversationCreated' && childOf(handled)(s), 'its projection');
  });
});
