import { MongoClient, type CommandStartedEvent, type CommandSucceededEvent, type CommandFailedEvent } from 'mongodb';

/**
 * The services' client of the read store. FerretDB v1 has no retryable writes, so the driver
 * is told up front. MONGO_COMMAND_STATS=<seconds> makes it log, every so many seconds, which
 * commands it sent (command, collection, the filter's shape) with their count and total time:
 * how to find out which query costs the read store what.
 */
export function readStoreClient(url: string, name: string, log: (line: string) => void): MongoClient {
  const everySeconds = Number(process.env.MONGO_COMMAND_STATS?.trim() || 0);
  const client = new MongoClient(url, { retryWrites: false, monitorCommands: everySeconds > 0 });
  if (everySeconds > 0) reportCommandStats(client, name, everySeconds, log);
  return client;
}

function reportCommandStats(client: MongoClient, name: string, everySeconds: number, log: (line: string) => void): void {
  const shapes = new Map<number, string>();
  const stats = new Map<string, { count: number; ms: number }>();
  client.on('commandStarted', (event: CommandStartedEvent) => {
    const command = event.command as Record<string, unknown>;
    const collection = String(command[event.commandName] ?? '').replace(/_r?\d{6,}.*$/, '');
    const filter = command.filter ?? (Array.isArray(command.updates) ? (command.updates[0] as { q?: unknown })?.q : undefined) ??
      (Array.isArray(command.deletes) ? (command.deletes[0] as { q?: unknown })?.q : undefined);
    shapes.set(event.requestId, `${event.commandName} ${collection} ${shapeOf(filter)}`);
  });
  const done = (event: CommandSucceededEvent | CommandFailedEvent): void => {
    const shape = shapes.get(event.requestId);
    if (shape === undefined) return;
    shapes.delete(event.requestId);
    const entry = stats.get(shape) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += event.duration;
    stats.set(shape, entry);
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);
  setInterval(() => {
    const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12);
    stats.clear();
    if (rows.length === 0) return;
    log(`[${name}] read store commands, last ${everySeconds} s (count, total ms, mean ms):`);
    for (const [shape, { count, ms }] of rows) log(`  ${count}\t${ms.toFixed(0)}\t${(ms / count).toFixed(2)}\t${shape}`);
  }, everySeconds * 1000).unref();
}

/** A filter's keys and operators, without its values. */
function shapeOf(filter: unknown): string {
  if (filter === undefined) return '';
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) return '?';
  return `{${Object.entries(filter as Record<string, unknown>)
    .map(([key, value]) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? `${key}:${shapeOf(value)}` : key))
    .join(',')}}`;
}
