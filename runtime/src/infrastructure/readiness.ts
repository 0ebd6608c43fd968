import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';
import { type Dependency, parseBrokers } from './endpoints';

/**
 * One round trip through each server's official client: the same clients the services use,
 * so "ready" means ready for them, not merely "the port is open".
 */
export const probes: Record<Dependency, (address: string) => Promise<void>> = {
  async kafka(brokers) {
    const admin = new Kafka({
      clientId: 'readiness-probe',
      brokers: parseBrokers(brokers),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no broker registered yet');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },
  async postgres(url) {
    const client = new PgClient({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  },
  async mongodb(url) {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
    } finally {
      await client.close().catch(() => undefined);
    }
  },
  async redis(url) {
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  },
  async eventstore(url) {
    const client = KurrentDBClient.connectionString`${url}`;
    try {
      for await (const _event of client.readAll({ maxCount: 1 })) break;
    } finally {
      await client.dispose().catch(() => undefined);
    }
  },
};

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Called between attempts; throwing stops the wait (a server process that exited). */
  readonly stillWorthWaiting?: () => void;
}

/** Retries a probe until it passes or the time is up; the error keeps the last failure. */
export async function waitUntilReady(
  dependency: Dependency,
  address: string,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.stillWorthWaiting?.();
    try {
      await probes[dependency](address);
      return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`${dependency} at ${redact(address)} did not answer within ${options.timeoutMs} ms: ${reason}`);
}

/** Keeps passwords out of logs and error messages. */
export function redact(address: string): string {
  return address.replace(/\/\/([^:/@]+):([^@/]+)@/, '//$1:***@');
}
