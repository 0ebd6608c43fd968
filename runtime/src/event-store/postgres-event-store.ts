import type { EventMetadata } from '@chat/contracts';
import { DatabaseError, Pool, type PoolClient, type PoolConfig } from 'pg';
import { validateAppend, validateFilter, validateMaxCount } from './append-validation';
import {
  type AllFilter,
  type AppendResult,
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  startOfAll,
  type StreamAppend,
  type StreamAppendOutcome,
  type SubscribeToAllOptions,
  type Subscription,
  WrongExpectedRevisionError,
} from './event-store';
import { AppendQueue } from './append-queue';
import { PostgresSubscription } from './postgres-subscription';

/*
 * ---- Reading "all events" in order: the transaction-id watermark -------------------------
 *
 * A `bigserial` value is taken when a row is inserted, not when its transaction commits. Two
 * appends A (takes 10) and B (takes 11) can commit in the order B, A; a reader that passed
 * 11 and remembered "> 11" would never see 10. Following Emmett's PostgreSQL store, every
 * row also records its transaction id (`xid8`, 64 bits, never wraps), and readers of "all":
 *
 *   - only return rows with `transaction_id < pg_snapshot_xmin(pg_current_snapshot())`.
 *     The snapshot's xmin is the oldest transaction id still running when the reading
 *     statement started; every transaction below it has finished (committed or aborted),
 *     and ids are handed out in increasing order, so no later transaction gets one below
 *     it. The set of rows under the watermark is final: nothing can ever appear there again.
 *   - order by (transaction_id, global_position) and resume strictly after the pair. Within
 *     the final set this is a total order that never changes, so a checkpoint taken in it
 *     means exactly "everything before this has been seen". The order is not commit order,
 *     and need not be: it only has to be stable and complete, which the watermark makes it.
 *     (The xmin comes from the statement's own snapshot, so every committed row under it is
 *     visible to that same statement.)
 *   - per-stream order: a stream's later revision must sort after its earlier ones, i.e. get
 *     a larger transaction id. PostgreSQL assigns the id at a transaction's first write, and
 *     a writer that blocks on a row lock has already been given its id, so two writers could
 *     get their ids in one order and their revisions in the other. append_to_stream therefore
 *     takes a per-stream advisory lock (which needs no transaction id) before its first
 *     write: the next writer of that stream can only get its id after the previous one
 *     committed, hence a larger one.
 *
 * Reading one stream needs none of this: its order is its revisions, and a writer must see
 * its own append at once.
 *
 * The price: a transaction that stays open holds the watermark back for every reader (not
 * only for its own rows), so delivery pauses until it ends. Appends are one short statement;
 * other long writers on the same PostgreSQL cluster (any database: transaction ids are
 * cluster-wide) delay projections by their duration, never break them. Read-only
 * transactions do not count: they take no transaction id.
 *
 * ---- Appending: one statement, one round trip ---------------------------------------------
 *
 * `append_to_stream(...)` (plpgsql, created by migrate()) locks the stream, reads its current
 * revision from the unique (stream_name, stream_revision) index, decides (expected revision,
 * idempotent retry, duplicate id), inserts, and notifies listeners, all in one call. There is
 * no separate streams table: the advisory lock already serialises a stream's writers (it is
 * needed for the ordering above anyway), and the revision is one descent of an index that
 * must exist regardless, whereas a streams row would add an UPDATE (and a dead tuple) to
 * every append. The unique index stays as the backstop.
 *
 * Idempotency (EventStoreDB's rule): if the events' ids already sit in this stream at the
 * revisions right after the expected one (for 'any' / 'stream_exists': consecutively from
 * where the first one is), the append happened before; nothing is written and the result
 * describes that earlier append. Any other reuse of an id is a DuplicateEventIdError (ids are
 * unique across the store). The ids are only looked up when the revision check fails or the
 * writer gave no exact expectation; on the normal path the unique index on event_id catches
 * a reused id during the insert.
 *
 * ---- Live delivery --------------------------------------------------------------------------
 *
 * The function calls pg_notify(<schema>_appended, <transaction id>) in the appending
 * transaction; PostgreSQL delivers it on commit. Subscribers LISTEN on a dedicated connection
 * (see postgres-subscription.ts for the re-check that the watermark requires).
 */

const EXPECTED_NO_STREAM = -1n;
const EXPECTED_ANY = -2n;
const EXPECTED_STREAM_EXISTS = -3n;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

export interface PostgresEventStoreOptions {
  /** The PostgreSQL schema holding the table and the append function. Default `event_store`. */
  readonly schema?: string;
  /** Size of the pool the store creates from a connection string. Default 10. */
  readonly poolSize?: number;
  /**
   * TEST HOOK, never set in production code: runs inside the append's transaction after the
   * rows are inserted (their sequence values taken) and before COMMIT, so tests can hold
   * transactions open and make them commit out of sequence order. With it, an append costs
   * BEGIN + call + COMMIT instead of a single statement.
   */
  readonly beforeCommit?: (client: PoolClient) => Promise<void>;
  /**
   * Transactions appending at once; appends made while that many are under way wait and go
   * together in the next (one commit, one WAL flush for all). Default 2.
   */
  readonly appendsInFlight?: number;
}

interface EventRow {
  global_position: string;
  transaction_text: string;
  stream_name: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: EventMetadata;
  created_at: Date;
}

interface AppendRow {
  out_outcome: 'appended' | 'already_appended' | 'duplicate' | 'wrong_revision';
  out_revision: string | null;
  out_transaction_id: string | null;
  out_global_position: string | null;
  out_event_id: string | null;
}

/** A readAll row: the watermark, and an event unless none qualified (then all nulls). */
type PageRow = { watermark: string } & { [K in keyof EventRow]: EventRow[K] | null };

/** What a subscription needs from the store. */
export interface AllReader {
  readPage(after: GlobalPosition, limit: number, filter: AllFilter | undefined): Promise<{ events: RecordedEvent[]; watermark: bigint }>;
}

export class PostgresEventStore implements EventStore, AllReader {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly schema: string;
  private readonly channel: string;
  private readonly sql: ReturnType<typeof statements>;
  private readonly beforeCommit: PostgresEventStoreOptions['beforeCommit'];
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly appends: AppendQueue;
  private closed = false;

  /**
   * From a connection string or pool settings (the store owns that pool and ends it on
   * close), or from a pool someone else owns and ends.
   */
  constructor(connection: Pool | PoolConfig | string, options: PostgresEventStoreOptions = {}) {
    this.schema = options.schema ?? 'event_store';
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(this.schema)) throw new Error(`not a usable schema name: '${this.schema}'`);
    this.channel = `${this.schema}_appended`;
    this.sql = statements(this.schema);
    this.beforeCommit = options.beforeCommit;
    this.appends = new AppendQueue((appends) => this.appendValidated(appends), options.appendsInFlight ?? 2);
    if (connection instanceof Pool) {
      this.pool = connection;
      this.ownsPool = false;
    } else {
      const config = typeof connection === 'string' ? { connectionString: connection } : connection;
      this.pool = new Pool({ max: options.poolSize ?? 10, ...config });
      this.ownsPool = true;
    }
    // An idle client that loses its connection emits on the pool; unhandled, that would
    // crash the process. The next query gets a fresh connection.
    this.pool.on('error', () => undefined);
  }

  /** Creates the schema, table, indexes and function; safe to run concurrently and repeatedly. */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Concurrent CREATE ... IF NOT EXISTS can still collide in the catalog; one at a time.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), 0)', [`${this.schema}:migrate`]);
      await client.query(this.sql.migrate);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async appendToStream(
    streamName: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const append = { streamName, events, expectedRevision: options.expectedRevision };
    validateAppend(streamName, events, append.expectedRevision);
    return this.beforeCommit ? this.appendAlone(append) : this.appends.append(append);
  }

  /**
   * Appends to several streams in one transaction, each append checked and answered on its
   * own (a wrong revision in one stream fails that one only). Appends made while others are
   * under way are gathered this way by appendToStream.
   */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    const valid: StreamAppend[] = [];
    const outcomes = appends.map((append): StreamAppendOutcome | undefined => {
      try {
        validateAppend(append.streamName, append.events, append.expectedRevision);
      } catch (error) {
        return { ok: false, error };
      }
      valid.push(append);
      return undefined;
    });
    const written = await this.appendValidated(valid);
    return outcomes.map((outcome) => outcome ?? required(written.shift()));
  }

  /** appendToStreams for appends already validated (appendToStream's, through the queue). */
  private async appendValidated(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    const alone = (): Promise<StreamAppendOutcome[]> => Promise.all(appends.map((append) => outcomeOf(() => this.appendAlone(append))));
    if (appends.length <= 1) return alone();
    let rows: (AppendRow & { out_index: number })[];
    try {
      const result = await this.pool.query<AppendRow & { out_index: number }>({
        name: `${this.schema}.append_many`,
        text: this.sql.appendMany,
        values: [
          appends.map((append) => append.streamName),
          appends.map((append) => encodeExpected(append.expectedRevision).toString()),
          appends.map((append) => append.events.length),
          ...eventColumnsOf(appends.map((append) => append.events)),
        ],
      });
      rows = result.rows;
    } catch {
      // Raised, not answered (an id reused in another stream, a lost connection): the whole
      // transaction is gone, so each append is tried again alone for its own outcome.
      return alone();
    }
    const byIndex = new Map(rows.map((row) => [row.out_index, row]));
    return Promise.all(
      appends.map((append, index) =>
        outcomeOf(async () => appendResultOf(required(byIndex.get(index)), append.streamName, append.expectedRevision)),
      ),
    );
  }

  /** One stream's append in a transaction of its own. */
  private async appendAlone({ streamName, events, expectedRevision }: StreamAppend): Promise<AppendResult> {
    const values = [streamName, encodeExpected(expectedRevision).toString(), ...eventColumnsOf([events])];
    let row: AppendRow;
    try {
      row = this.beforeCommit ? await this.appendInTransaction(values, this.beforeCommit) : await this.appendOnce(values);
    } catch (error) {
      throw await this.translateAppendError(error, streamName, expectedRevision, events);
    }
    return appendResultOf(row, streamName, expectedRevision);
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateMaxCount(options.maxCount);
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? MAX_BIGINT : 0n);
    if (from < 0n) throw new Error(`readStream(${streamName}): fromRevision ${from} is negative`);
    const result = await this.pool.query<EventRow>({
      name: `${this.schema}.read_stream_${backwards ? 'backwards' : 'forwards'}`,
      text: backwards ? this.sql.readStreamBackwards : this.sql.readStreamForwards,
      values: [streamName, from.toString(), options.maxCount ?? null],
    });
    return result.rows.map(toRecorded);
  }

  async streamRevision(streamName: string): Promise<bigint | undefined> {
    const result = await this.pool.query<{ revision: string | null }>({
      name: `${this.schema}.stream_revision`,
      text: this.sql.streamRevision,
      values: [streamName],
    });
    const revision = result.rows[0]?.revision;
    return revision === null || revision === undefined ? undefined : BigInt(revision);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    validateMaxCount(options.maxCount);
    validateFilter(options.filter);
    const page = await this.page(options.after ?? startOfAll, options.maxCount ?? null, options.filter);
    return page.events;
  }

  /** For subscriptions: readAll, plus the watermark the read was bounded by. */
  async readPage(
    after: GlobalPosition,
    limit: number,
    filter: AllFilter | undefined,
  ): Promise<{ events: RecordedEvent[]; watermark: bigint }> {
    return this.page(after, limit, filter);
  }

  async headPosition(): Promise<GlobalPosition> {
    const result = await this.pool.query<{ transaction_text: string; global_position: string }>({
      name: `${this.schema}.head_position`,
      text: this.sql.headPosition,
    });
    const row = result.rows[0];
    return row ? { commit: BigInt(row.transaction_text), prepare: BigInt(row.global_position) } : startOfAll;
  }

  async subscribeToAll(options: SubscribeToAllOptions): Promise<Subscription> {
    if (this.closed) throw new Error('subscribeToAll: the event store is closed');
    validateFilter(options.filter);
    const subscription = await PostgresSubscription.start({
      reader: this,
      listenerConfig: this.pool.options,
      channel: this.channel,
      options,
      onClosed: (closed) => this.subscriptions.delete(closed),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.ownsPool) await this.pool.end();
  }

  private async appendOnce(values: unknown[]): Promise<AppendRow> {
    const result = await this.pool.query<AppendRow>({ name: `${this.schema}.append`, text: this.sql.append, values });
    return required(result.rows[0]);
  }

  private async appendInTransaction(values: unknown[], beforeCommit: (client: PoolClient) => Promise<void>): Promise<AppendRow> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await client.query<AppendRow>({ name: `${this.schema}.append`, text: this.sql.append, values });
      await beforeCommit(client);
      await client.query('COMMIT');
      return required(result.rows[0]);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async page(
    after: GlobalPosition,
    limit: number | null,
    filter: AllFilter | undefined,
  ): Promise<{ events: RecordedEvent[]; watermark: bigint }> {
    // xid8 has no negative values; transaction ids start at 3, so (0, -1) precedes them all.
    const start = after.commit < 0n ? { commit: 0n, prepare: -1n } : after;
    const result = await this.pool.query<PageRow>({
      name: `${this.schema}.read_all`,
      text: this.sql.readAll,
      values: [
        start.commit.toString(),
        start.prepare.toString(),
        filter?.streamPrefixes ?? null,
        filter?.eventTypes ?? null,
        limit,
      ],
    });
    const first = required(result.rows[0]);
    const events: RecordedEvent[] = [];
    for (const row of result.rows) {
      if (row.event_id !== null) events.push(toRecorded(row as EventRow));
    }
    return { events, watermark: BigInt(first.watermark) };
  }

  private async translateAppendError(
    error: unknown,
    streamName: string,
    expected: ExpectedRevision,
    events: readonly EventToAppend[],
  ): Promise<unknown> {
    if (!(error instanceof DatabaseError) || error.code !== '23505') return error;
    if (error.constraint === 'events_event_id_unique') {
      const reused = /\(event_id\)=\(([0-9a-f-]+)\)/i.exec(error.detail ?? '')?.[1];
      return new DuplicateEventIdError(streamName, reused ?? required(events[0]).id);
    }
    if (error.constraint === 'events_stream_revision_unique') {
      // Only a writer that bypassed append_to_stream (and its lock) can get here.
      const actual = await this.streamRevision(streamName);
      return new WrongExpectedRevisionError(streamName, expected, actual ?? 'no_stream');
    }
    return error;
  }
}

/** ids and types flattened, data and metadata as JSON: of one stream's events, or of several streams' (an array each). */
function eventColumnsOf(streams: readonly (readonly EventToAppend[])[]): [string[], string[], string, string] {
  const all = streams.flat();
  const single = streams.length === 1;
  const data = streams.map((events) => events.map((event) => event.data ?? null));
  const metadata = streams.map((events) => events.map((event) => event.metadata));
  return [
    all.map((event) => event.id),
    all.map((event) => event.type),
    JSON.stringify(single ? data[0] : data),
    JSON.stringify(single ? metadata[0] : metadata),
  ];
}

async function outcomeOf(work: () => Promise<AppendResult>): Promise<StreamAppendOutcome> {
  try {
    return { ok: true, result: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

function appendResultOf(row: AppendRow, streamName: string, expected: ExpectedRevision): AppendResult {
  switch (row.out_outcome) {
    case 'appended':
    case 'already_appended':
      return {
        nextExpectedRevision: BigInt(required(row.out_revision)),
        position: { commit: BigInt(required(row.out_transaction_id)), prepare: BigInt(required(row.out_global_position)) },
        alreadyAppended: row.out_outcome === 'already_appended',
      };
    case 'duplicate':
      throw new DuplicateEventIdError(streamName, required(row.out_event_id));
    case 'wrong_revision':
      throw new WrongExpectedRevisionError(streamName, expected, row.out_revision === null ? 'no_stream' : BigInt(row.out_revision));
  }
}

function encodeExpected(expected: ExpectedRevision): bigint {
  switch (expected) {
    case 'no_stream':
      return EXPECTED_NO_STREAM;
    case 'any':
      return EXPECTED_ANY;
    case 'stream_exists':
      return EXPECTED_STREAM_EXISTS;
    default:
      return expected;
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamName: row.stream_name,
    revision: BigInt(row.stream_revision),
    position: { commit: BigInt(row.transaction_text), prepare: BigInt(row.global_position) },
    type: row.event_type,
    data: row.data,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

function required<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('event store: PostgreSQL returned an incomplete row');
  return value;
}

// xid8 is read as text (pg has no parser for it) under another name: an ORDER BY
// transaction_id would otherwise resolve to the text output column and sort "1000" before "996".
const eventColumns =
  'global_position, transaction_id::text AS transaction_text, stream_name, stream_revision, event_id, event_type, data, metadata, created_at';

function statements(schema: string) {
  const events = `${schema}.events`;
  return {
    migrate: `
CREATE SCHEMA IF NOT EXISTS ${schema};

CREATE TABLE IF NOT EXISTS ${events} (
  global_position bigserial NOT NULL,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_name text NOT NULL,
  stream_revision bigint NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The order readers of "all" follow; doubles as the primary key (global_position alone is unique).
  CONSTRAINT events_pkey PRIMARY KEY (transaction_id, global_position),
  CONSTRAINT events_stream_revision_unique UNIQUE (stream_name, stream_revision),
  CONSTRAINT events_event_id_unique UNIQUE (event_id)
);

-- Append-only: history is never edited. A trigger rather than a REVOKE, because the
-- service's own role owns the table and owners bypass privileges.
CREATE OR REPLACE FUNCTION ${schema}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'event store: events are append-only (% refused)', TG_OP;
END
$fn$;
-- Created once: re-creating it would lock the table against running appends.
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'events_append_only' AND tgrelid = '${events}'::regclass) THEN
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ${events}
      FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.refuse_change();
  END IF;
END
$do$;

-- p_expected: >= 0 an exact revision, -1 no_stream, -2 any, -3 stream_exists.
CREATE OR REPLACE FUNCTION ${schema}.append_to_stream(
  p_stream_name text,
  p_expected bigint,
  p_ids uuid[],
  p_types text[],
  p_data jsonb,
  p_metadata jsonb,
  OUT out_outcome text,
  OUT out_revision bigint,
  OUT out_transaction_id text,
  OUT out_global_position bigint,
  OUT out_event_id uuid
) LANGUAGE plpgsql AS $fn$
DECLARE
  v_count integer := cardinality(p_ids);
  v_current bigint;
  v_revision_ok boolean;
  v_start bigint;
  v_matched integer;
BEGIN
  -- Before any write, so this transaction's id is assigned after the previous writer of the
  -- stream committed (see postgres-event-store.ts: per-stream order under the watermark).
  -- The two-key form keeps clear of single-bigint advisory locks other code may take.
  PERFORM pg_advisory_xact_lock(hashtext('${schema}'), hashtext(p_stream_name));

  SELECT max(e.stream_revision) INTO v_current FROM ${events} e WHERE e.stream_name = p_stream_name;

  v_revision_ok := CASE
    WHEN p_expected = -2 THEN true
    WHEN p_expected = -1 THEN v_current IS NULL
    WHEN p_expected = -3 THEN v_current IS NOT NULL
    ELSE coalesce(v_current = p_expected, false)
  END;

  IF NOT v_revision_ok OR p_expected IN (-2, -3) THEN
    -- Where would these events be if this append had already happened?
    IF p_expected >= -1 THEN
      v_start := p_expected + 1;
    ELSE
      SELECT e.stream_revision INTO v_start FROM ${events} e
        WHERE e.event_id = p_ids[1] AND e.stream_name = p_stream_name;
    END IF;

    IF v_start IS NOT NULL THEN
      SELECT count(*) INTO v_matched
        FROM unnest(p_ids) WITH ORDINALITY AS t(id, ord)
        JOIN ${events} e ON e.event_id = t.id
        WHERE e.stream_name = p_stream_name AND e.stream_revision = v_start + t.ord - 1;
      IF v_matched = v_count THEN
        SELECT 'already_appended', e.stream_revision, e.transaction_id::text, e.global_position
          INTO out_outcome, out_revision, out_transaction_id, out_global_position
          FROM ${events} e
          WHERE e.stream_name = p_stream_name AND e.stream_revision = v_start + v_count - 1;
        RETURN;
      END IF;
    END IF;

    SELECT t.id INTO out_event_id
      FROM unnest(p_ids) WITH ORDINALITY AS t(id, ord)
      WHERE EXISTS (SELECT 1 FROM ${events} e WHERE e.event_id = t.id)
      ORDER BY t.ord
      LIMIT 1;
    IF out_event_id IS NOT NULL THEN
      out_outcome := 'duplicate';
      RETURN;
    END IF;

    IF NOT v_revision_ok THEN
      out_outcome := 'wrong_revision';
      out_revision := v_current;
      RETURN;
    END IF;
  END IF;

  -- Rows reach the insert in ordinal order, so their sequence values ascend with revisions.
  WITH inserted AS (
    INSERT INTO ${events} (stream_name, stream_revision, event_id, event_type, data, metadata)
    SELECT p_stream_name, coalesce(v_current, -1) + t.ord, t.id, t.type,
           p_data -> (t.ord::integer - 1), p_metadata -> (t.ord::integer - 1)
      FROM unnest(p_ids, p_types) WITH ORDINALITY AS t(id, type, ord)
      ORDER BY t.ord
    RETURNING global_position
  )
  SELECT max(global_position) INTO out_global_position FROM inserted;

  out_outcome := 'appended';
  out_revision := coalesce(v_current, -1) + v_count;
  out_transaction_id := pg_current_xact_id()::text;
  -- Delivered at commit, never for a rolled-back append.
  PERFORM pg_notify('${schema}_appended', out_transaction_id);
END
$fn$;

-- Several streams' appends in one transaction (one commit, one WAL flush), each decided as
-- append_to_stream decides it and answered on its own row. p_counts says how many of the
-- flattened ids and types are each stream's; p_data and p_metadata hold an array per stream.
CREATE OR REPLACE FUNCTION ${schema}.append_to_streams(
  p_streams text[],
  p_expected bigint[],
  p_counts integer[],
  p_ids uuid[],
  p_types text[],
  p_data jsonb,
  p_metadata jsonb
) RETURNS TABLE (
  out_index integer,
  out_outcome text,
  out_revision bigint,
  out_transaction_id text,
  out_global_position bigint,
  out_event_id uuid
) LANGUAGE plpgsql AS $fn$
DECLARE
  v_lock integer;
  v_from integer := 1;
  v_count integer;
  r record;
BEGIN
  -- Every stream's lock before the first write, not each before its own: this transaction's
  -- id is assigned at its first write, and it must come after every earlier writer of all
  -- these streams committed (per-stream order under the watermark). Taken in one order, so
  -- two batches never wait on each other in a cycle.
  FOR v_lock IN SELECT DISTINCT hashtext(s) FROM unnest(p_streams) AS s ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(hashtext('${schema}'), v_lock);
  END LOOP;
  FOR i IN 1 .. cardinality(p_streams) LOOP
    v_count := p_counts[i];
    SELECT * INTO r FROM ${schema}.append_to_stream(
      p_streams[i], p_expected[i], p_ids[v_from : v_from + v_count - 1], p_types[v_from : v_from + v_count - 1],
      p_data -> (i - 1), p_metadata -> (i - 1));
    out_index := i - 1;
    out_outcome := r.out_outcome;
    out_revision := r.out_revision;
    out_transaction_id := r.out_transaction_id;
    out_global_position := r.out_global_position;
    out_event_id := r.out_event_id;
    RETURN NEXT;
    v_from := v_from + v_count;
  END LOOP;
END
$fn$;
`,
    append: `SELECT * FROM ${schema}.append_to_stream($1, $2, $3::uuid[], $4::text[], $5::jsonb, $6::jsonb)`,
    appendMany: `SELECT * FROM ${schema}.append_to_streams($1::text[], $2::bigint[], $3::integer[], $4::uuid[], $5::text[], $6::jsonb, $7::jsonb)`,
    readStreamForwards: `
SELECT ${eventColumns} FROM ${events}
WHERE stream_name = $1 AND stream_revision >= $2
ORDER BY stream_revision ASC
LIMIT $3`,
    readStreamBackwards: `
SELECT ${eventColumns} FROM ${events}
WHERE stream_name = $1 AND stream_revision <= $2
ORDER BY stream_revision DESC
LIMIT $3`,
    streamRevision: `SELECT max(stream_revision)::text AS revision FROM ${events} WHERE stream_name = $1`,
    // One row even when no event qualifies, so the caller always learns the watermark; it
    // comes from the same snapshot as the rows (same statement).
    readAll: `
WITH watermark AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
SELECT w.xmin::text AS watermark, e.*
FROM watermark w
LEFT JOIN LATERAL (
  SELECT ${eventColumns} FROM ${events}
  WHERE transaction_id < w.xmin
    AND (transaction_id, global_position) > ($1::xid8, $2::bigint)
    AND ($3::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($3::text[]) AS p(prefix) WHERE starts_with(stream_name, p.prefix)))
    AND ($4::text[] IS NULL OR event_type = ANY ($4::text[]))
  ORDER BY transaction_id, global_position
  LIMIT $5
) e ON true
ORDER BY e.transaction_text::xid8, e.global_position`,
    headPosition: `
SELECT transaction_id::text AS transaction_text, global_position FROM ${events}
WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id DESC, global_position DESC
LIMIT 1`,
  };
}
