import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { conversationStream, userStream } from '@chat/contracts';
import { createEventStore, endpointEnv, endpointsInEnv, formatPosition, type RecordedEvent } from '@chat/runtime';

/**
 * An audit of one aggregate: every event of a conversation's or a user's stream, oldest
 * first, as the event store holds it, with who caused it and through which command.
 *
 *   npm run -s history -- conversation <id> | user <id> | <stream name> [--json]
 *
 * One line per event (revision, time, type, acting user, command id, data), or with `--json`
 * one JSON object per line with the data and metadata as stored. Reads EVENTSTORE_URL, or
 * else POSTGRES_URL, and changes nothing there (it does not migrate the schema). A stream with
 * no events prints nothing and exits 0.
 */

const usage = 'usage: history (conversation <id> | user <id> | <stream name>) [--json]';
const PAGE = 1_000;

function streamNameOf(args: readonly string[]): string {
  const [kind, id] = args;
  if (kind === 'conversation' || kind === 'user') {
    if (!id || args.length !== 2) throw new Error(usage);
    return kind === 'conversation' ? conversationStream(id) : userStream(id);
  }
  if (kind && args.length === 1 && /^(conversation|user)-./.test(kind)) return kind;
  throw new Error(usage);
}

function line(event: RecordedEvent): string {
  const { metadata } = event;
  return [
    `#${event.revision}`,
    metadata.occurredAt,
    event.type.padEnd(25),
    `by ${metadata.userId}`,
    `command ${metadata.commandId}`,
    JSON.stringify(event.data),
  ].join('  ');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { json: { type: 'boolean' }, help: { type: 'boolean' } }, allowPositionals: true });
  if (values.help) {
    console.log(usage);
    return;
  }
  const streamName = streamNameOf(positionals);
  const endpoints = endpointsInEnv();
  if (!endpoints.postgres && !endpoints.eventstore) throw new Error(`set ${endpointEnv.eventstore} or ${endpointEnv.postgres}`);
  const store = await createEventStore({ postgresUrl: endpoints.postgres ?? '', eventStoreUrl: endpoints.eventstore }, { migrate: false });
  try {
    for (let from = 0n; ; ) {
      const page = await store.readStream(streamName, { fromRevision: from, maxCount: PAGE });
      for (const event of page) {
        const text = values.json
          ? JSON.stringify({
              streamName,
              revision: Number(event.revision),
              position: formatPosition(event.position),
              eventId: event.id,
              type: event.type,
              data: event.data,
              metadata: event.metadata,
              storedAt: event.createdAt.toISOString(),
            })
          : line(event);
        if (!process.stdout.write(`${text}\n`)) await once(process.stdout, 'drain');
      }
      const last = page[page.length - 1];
      if (!last || page.length < PAGE) break;
      from = last.revision + 1n;
    }
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(`[history] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
