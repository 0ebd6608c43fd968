import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BSON, MongoClient, type CommandStartedEvent, type CommandSucceededEvent, type CommandFailedEvent } from 'mongodb';

/**
 * The services' client of the read store. FerretDB v1 has no retryable writes, so the driver
 * is told up front. Two diagnostics, both off by default:
 *   - MONGO_COMMAND_STATS=<seconds>: log, every so many seconds, which commands the service
 *     sent (command, collection, the filter's shape) with their count and total time: how to
 *     find out which query costs the read store what;
 *   - MONGO_COMMAND_LOG=<folder>: append every command the service sends, as extended JSON,
 *     one per line, to `<folder>/<name>-<pid>.ndjson`: what the scan check
 *     (services/gateway/src/read-store-scans.e2e.spec.ts) asks the read store to explain.
 */
export function readStoreClient(url: string, name: string, log: (line: string) => void): MongoClient {
  const everySeconds = Number(process.env.MONGO_COMMAND_STATS?.trim() || 0);
  const logFolder = process.env.MONGO_COMMAND_LOG?.trim() || undefined;
  const client = new MongoClient(url, { retryWrites: false, monitorCommands: everySeconds > 0 || logFolder !== undefined });
  if (everySeconds > 0) reportCommandStats(client, name, everySeconds, log);
  if (logFolder !== undefined) logCommands(client, name, join(logFolder, `${name}-${process.pid}.ndjson`));
  return client;
}

/** One line of a MONGO_COMMAND_LOG file. */
export interface LoggedCommand {
  readonly service: string;
  readonly database: string;
  readonly commandName: string;
  /** The command as sent, without the driver's session and cluster fields. */
  readonly command: Record<string, unknown>;
}

/** The commands a MONGO_COMMAND_LOG file holds, with their values' BSON types kept. */
export function parseCommandLog(text: string): LoggedCommand[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => BSON.EJSON.parse(line, { relaxed: false }) as LoggedCommand);
}

/** Fields every command carries that say nothing of what it reads. */
const DRIVER_FIELDS = new Set(['lsid', '$clusterTime', '$db', '$readPreference', 'txnNumber', 'autocommit', 'startTransaction', 'apiVersion']);

function logCommands(client: MongoClient, service: string, file: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  client.on('commandStarted', (event: CommandStartedEvent) => {
    const command = Object.fromEntries(Object.entries(event.command as Record<string, unknown>).filter(([key]) => !DRIVER_FIELDS.has(key)));
    const entry: LoggedCommand = { service, database: event.databaseName, commandName: event.commandName, command };
    // Synchronously: a service stopped (or killed) right after a command still has it on record.
    appendFileSync(file, `${BSON.EJSON.stringify(entry, { relaxed: false })}\n`);
  });
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
export function shapeOf(filter: unknown): string {
  if (filter === undefined) return '';
  if (!isOperatorDocument(filter)) return '?';
  return `{${Object.entries(filter)
    .map(([key, value]) => (isOperatorDocument(value) ? `${key}:${shapeOf(value)}` : key))
    .join(',')}}`;
}

/** A plain document (not a value: an array, or a BSON value such as Int32 or ObjectId). */
function isOperatorDocument(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('_bsontype' in value);
}
