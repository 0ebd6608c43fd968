import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { endpointsInEnv, readStoreClient, recordBenchmarkSection, resolveInfrastructure, type RunningInfrastructure } from '@chat/runtime';
import type { Collection, Db } from 'mongodb';

/**
 * What a document's shape costs the read store: the same messages stored as fields, or as one
 * JSON string (read-model-codec.ts), one message per document or fifty, read by `_id`, read
 * 200 at a time, inserted and replaced. The figures behind the read models' shapes
 * (docs/architecture.md, "Read models shaped for their queries").
 *
 * Run: npm run bench:shapes [-- --no-write]. Uses MONGODB_URL when set, otherwise starts a
 * local FerretDB (bench profile) and stops it after.
 */

const READS = 200;

function message(index: number): Record<string, unknown> {
  const id = randomUUID().replace(/-/g, '').slice(0, 24);
  return {
    _id: id,
    conversationId: randomUUID().replace(/-/g, '').slice(0, 24),
    seq: index + 1,
    sender: { _id: randomUUID().replace(/-/g, '').slice(0, 24), name: 'Some User Name', profileImage: 'http://localhost:3100/media/files/abcdefghijklmnopqrstuvwxyz.png' },
    text: 'hello there, this is a message of modest length, typical chat',
    media: [],
    messageType: 'text',
    replyTo: null,
    status: 'read',
    delivered: true,
    deleted: false,
    createdAt: new Date(1_733_000_000_000 + index).toISOString(),
    updatedAt: new Date(1_733_000_000_000 + index).toISOString(),
  };
}

interface Shape {
  readonly name: string;
  /** Documents in the collection. */
  readonly count: number;
  readonly make: (index: number) => Record<string, unknown>;
}

const shapes: readonly Shape[] = [
  { name: 'one message, as fields', count: 2_000, make: (i) => ({ ...message(i), position: 'p' }) },
  { name: 'one message, one JSON string', count: 2_000, make: (i) => ({ position: 'p', v: JSON.stringify(message(i)) }) },
  { name: '50 messages, as fields', count: 200, make: () => ({ position: 'p', messages: Array.from({ length: 50 }, (_, i) => message(i)) }) },
  { name: '50 messages, one JSON string', count: 200, make: () => ({ position: 'p', v: JSON.stringify(Array.from({ length: 50 }, (_, i) => message(i))) }) },
];

interface Figures {
  readonly shape: string;
  readonly bytes: number;
  readonly insertUsPerDoc: number;
  readonly findOneMs: number;
  readonly manyMsPerDoc: number;
  readonly replaceMs: number;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function measure(db: Db, shape: Shape): Promise<Figures> {
  const collection: Collection<{ _id: string } & Record<string, unknown>> = db.collection(`shape_${randomUUID().slice(0, 8)}`);
  const docs = Array.from({ length: shape.count }, (_, i) => ({ ...shape.make(i), _id: `d${i}` }));
  let started = performance.now();
  for (let i = 0; i < docs.length; i += 500) await collection.insertMany(docs.slice(i, i + 500));
  const insertUsPerDoc = ((performance.now() - started) * 1000) / docs.length;
  const one: number[] = [];
  for (let i = 0; i < READS; i++) {
    started = performance.now();
    await collection.findOne({ _id: `d${(i * 7) % shape.count}` });
    one.push(performance.now() - started);
  }
  const many: number[] = [];
  for (let round = 0; round < 10; round++) {
    const ids = Array.from({ length: Math.min(200, shape.count) }, (_, i) => `d${(round * 13 + i * 3) % shape.count}`);
    started = performance.now();
    await collection.find({ _id: { $in: ids } }).toArray();
    many.push((performance.now() - started) / ids.length);
  }
  const replaces: number[] = [];
  for (let i = 0; i < 50; i++) {
    const { _id, ...replacement } = { ...shape.make(i), _id: `d${i}` };
    started = performance.now();
    await collection.replaceOne({ _id }, replacement);
    replaces.push(performance.now() - started);
  }
  const found = await collection.countDocuments({ _id: { $in: ['d0', `d${shape.count - 1}`] } });
  if (found !== 2) throw new Error(`${shape.name}: the documents are not where they were put`);
  await collection.drop();
  return {
    shape: shape.name,
    bytes: JSON.stringify(docs[0]).length,
    insertUsPerDoc,
    findOneMs: median(one),
    manyMsPerDoc: median(many),
    replaceMs: median(replaces),
  };
}

async function main(): Promise<void> {
  let infrastructure: RunningInfrastructure | undefined;
  let mongoUrl = endpointsInEnv().mongodb;
  if (!mongoUrl) {
    infrastructure = await resolveInfrastructure({ profile: 'bench', dependencies: ['mongodb'], log: (line) => console.log(`[infra] ${line}`) });
    mongoUrl = infrastructure.values.mongodb;
    if (!mongoUrl) throw new Error('the local FerretDB did not start');
  }
  const mongo = readStoreClient(mongoUrl, 'shapes', (line) => console.log(line));
  await mongo.connect();
  const db = mongo.db(`shapes_${randomUUID().slice(0, 8)}`);
  try {
    const figures: Figures[] = [];
    for (const shape of shapes) {
      const result = await measure(db, shape);
      figures.push(result);
      console.log(
        `[bench] ${result.shape}: ${result.bytes} bytes; insert ${result.insertUsPerDoc.toFixed(0)} µs/doc; findOne p50 ${result.findOneMs.toFixed(2)} ms; ` +
          `200 by $in ${(result.manyMsPerDoc * 1000).toFixed(0)} µs/doc; replace p50 ${result.replaceMs.toFixed(2)} ms`,
      );
    }
    if (!process.argv.includes('--no-write') && process.env.BENCH_NO_WRITE !== '1') {
      const readStore = infrastructure ? 'local FerretDB v1.24 (SQLite backend, this project\'s patches)' : 'MONGODB_URL';
      recordBenchmarkSection(
        { begin: '<!-- shapes-bench:start -->', end: '<!-- shapes-bench:end -->' },
        [
          '## Document shapes',
          '',
          `Command: \`npm run bench:shapes\` (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores, ` +
            `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${readStore}). The same messages as fields or as one JSON ` +
            'string (read-model-codec.ts), one per document or fifty (a timeline page holds 25); medians.',
          '',
          '| shape | bytes | insert, per document | read one by `_id` | read 200 by `_id $in`, per document | replace one |',
          '|---|---|---|---|---|---|',
          ...figures.map(
            (f) =>
              `| ${f.shape} | ${f.bytes.toLocaleString('en-US')} | ${f.insertUsPerDoc.toFixed(0)} µs | ${f.findOneMs.toFixed(2)} ms | ` +
              `${(f.manyMsPerDoc * 1000).toFixed(0)} µs | ${f.replaceMs.toFixed(2)} ms |`,
          ),
          '',
          'Reading: FerretDB v1 decodes every stored value of a document in Go, so its cost follows the number of fields far more ' +
            'than the bytes; one string is also what MongoDB reads at about the same cost either way. Hence read models whose ' +
            'bodies are one JSON string, and a timeline of 25-message pages rather than a document per message.',
        ].join('\n'),
      );
      console.log('[bench] recorded in docs/benchmarks.md');
    }
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
    await infrastructure?.stop();
  }
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exit(1);
});
