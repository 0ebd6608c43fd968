import { randomUUID } from 'node:crypto';
import { KurrentDBClient, jsonEvent } from '@kurrent/kurrentdb-client';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, MongoServerError } from 'mongodb';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';
import { parseBrokers } from '../infrastructure/endpoints';

/**
 * One real round trip per server through its official client. Used by the smoke tests
 * against whatever the run resolved, and by the Testcontainers tests against containers.
 * Each returns what it observed so the test asserts on it.
 */

export async function kafkaRoundTrip(brokers: string): Promise<{
  topicListed: boolean;
  partitions: number;
  received: { key: string; value: string; header: string };
}> {
  // Quiet: the first consumer group waits for Kafka to create its offsets topic, which kafkajs
  // logs as an error while it retries; a real failure still rejects.
  const kafka = new Kafka({ clientId: 'smoke', brokers: parseBrokers(brokers), logLevel: logLevel.NOTHING });
  const topic = `smoke-${randomUUID()}`;
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    if (!created) throw new Error(`topic ${topic} already existed`);
    const topicListed = (await admin.listTopics()).includes(topic);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions.length ?? 0;

    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<{ key: string; value: string; header: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Kafka message within 30 s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            header: message.headers?.['x-smoke']?.toString() ?? '',
          });
        },
      });
    });
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'conversation-1', value: JSON.stringify({ hello: 'kafka' }), headers: { 'x-smoke': 'yes' } }],
    });
    return { topicListed, partitions, received: await received };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export async function mongoRoundTrip(url: string): Promise<{
  found: { name: string; n: number } | null;
  indexNames: string[];
  duplicateRejected: boolean;
}> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const collection = client.db().collection<{ name: string; n: number }>(`smoke_${randomUUID().replace(/-/g, '')}`);
  try {
    await collection.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
    await collection.insertOne({ name: 'alice', n: 1 });
    let duplicateRejected = false;
    try {
      await collection.insertOne({ name: 'alice', n: 2 });
    } catch (err) {
      duplicateRejected = err instanceof MongoServerError && err.code === 11000;
    }
    const found = await collection.findOne({ name: 'alice' }, { projection: { _id: 0 } });
    const indexNames = (await collection.listIndexes().toArray()).map((i) => String(i.name));
    return { found, indexNames, duplicateRejected };
  } finally {
    await collection.drop().catch(() => undefined);
    await client.close();
  }
}

export async function postgresRoundTrip(url: string): Promise<{ rows: { id: number; body: string }[]; database: string }> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TEMP TABLE smoke (id integer PRIMARY KEY, body text NOT NULL)');
    await client.query('INSERT INTO smoke (id, body) VALUES ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
    const rows = (await client.query<{ id: number; body: string }>('SELECT id, body FROM smoke ORDER BY id')).rows;
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? '';
    return { rows, database };
  } finally {
    await client.end();
  }
}

export async function redisPubSub(url: string): Promise<{ channel: string; message: string }> {
  const subscriber = new Redis(url);
  const publisher = new Redis(url);
  const channel = `smoke:${randomUUID()}`;
  try {
    const received = new Promise<{ channel: string; message: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Redis message within 10 s')), 10_000);
      subscriber.on('message', (ch: string, message: string) => {
        clearTimeout(timer);
        resolve({ channel: ch, message });
      });
    });
    await subscriber.subscribe(channel);
    await publisher.publish(channel, 'hello redis');
    return await received;
  } finally {
    subscriber.disconnect();
    publisher.disconnect();
  }
}

export async function eventStoreRoundTrip(url: string): Promise<{ types: string[]; revisions: bigint[] }> {
  const client = KurrentDBClient.connectionString(url);
  const stream = `smoke-${randomUUID()}`;
  try {
    await client.appendToStream(stream, [
      jsonEvent({ id: randomUUID(), type: 'SmokeTested', data: { n: 1 } }),
      jsonEvent({ id: randomUUID(), type: 'SmokeTested', data: { n: 2 } }),
    ]);
    const types: string[] = [];
    const revisions: bigint[] = [];
    for await (const resolved of client.readStream(stream)) {
      if (resolved.event) {
        types.push(resolved.event.type);
        revisions.push(resolved.event.revision);
      }
    }
    return { types, revisions };
  } finally {
    await client.dispose();
  }
}
