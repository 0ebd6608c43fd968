import type { GatewayNotification } from '@chat/contracts';
import { comparePositions, type GlobalPosition, type RecordedEvent } from '@chat/runtime';
import { type AppliedEvent, dependentKeys, type DocumentKeys, namedKeys, projectEvents } from '../domain/batch-projection';
import { type ChangedDocument, type DocumentMap, ReadModelDocuments, readModelKeys, type StoredDocument } from '../domain/document-set';
import { notificationsFor } from '../domain/gateway-notifications';
import { positionKey } from '../domain/position-keys';
import type { ProjectedEvent } from '../domain/read-model-documents';
import { LruMap } from './lru-map';
import { type SkippedEvent, toProjectable } from './projected-events';
import type { ReadModelChanges, ReadModelDocTypes, ReadModelName, ReadModelStorage } from './read-model-storage';

/** A batch worked out in memory: what it changes and whom to tell, before anything is written. */
export interface BatchPlan {
  /** What gateways must emit because of this batch, in event order. */
  readonly notifications: readonly GatewayNotification[];
  /** Each projected event with the documents it changed and its effect (see batch-projection.ts). */
  readonly applied: readonly AppliedEvent[];
  /** Events not projected: other streams, unknown types, invalid data. */
  readonly skipped: readonly SkippedEvent[];
  /** The last event's position (projected or skipped): the checkpoint once `write()` resolved. */
  readonly position: GlobalPosition | undefined;
  /** Number of documents `write()` writes. */
  readonly documentCount: number;
  /** The changed documents, what `write()` or {@link BatchApplier.stage} stores. */
  readonly changes: ReadModelChanges;
  /** Writes the changed documents, position-guarded: writing twice is harmless. */
  write(): Promise<void>;
}

/**
 * Applies batches of stored events to the read models: loads every document the batch
 * touches, by `_id` (one query per read model for what the events name, then one per read
 * model for what depends on those: timeline pages, inboxes, contacts), applies the pure
 * projections in memory under each document's position guard, and writes the changed
 * documents back in one bulk per read model.
 *
 * ONE WRITER PER DOCUMENT. FerretDB v1 executes an update as read-modify-write inside the
 * server, and this applier does the same across a whole batch (load, evolve, replace), so
 * two writers of one document would lose each other's changes. Only one applier may write a
 * set of read-model collections at a time, and it must write each plan before planning the
 * next batch (a plan is computed from what storage holds). A rebuild writes collections of
 * its own (see replay/), never the live ones.
 */
export interface BatchApplierOptions {
  /**
   * Documents remembered between batches, at most (0: none, every batch loads what it
   * needs). Only for an applier that is its storage's one writer, as the live worker is:
   * what it wrote is then what storage holds.
   */
  readonly cacheSize?: number;
}

export class BatchApplier {
  private readonly cache: DocumentCache;
  /** Plans staged to be written behind (see {@link stage}), merged: the newest of each document. */
  private staged = new StagedChanges();
  /** The staged changes being written now; plans read through them too until they are stored. */
  private writing: StagedChanges | undefined;
  /**
   * A MessageSent after this position was appended after this writer started: no one but
   * this writer can have stored its message's document, so it is known to be absent without
   * asking storage.
   */
  private freshAfter: string | undefined;

  constructor(
    private readonly storage: ReadModelStorage,
    options: BatchApplierOptions = {},
  ) {
    this.cache = new DocumentCache(options.cacheSize ?? 0);
  }

  /** Declares `position` (the store's head when this writer started) the start of fresh events. */
  startFreshAfter(position: GlobalPosition): void {
    if (this.cache.capacity === 0) return;
    // An empty store's head is -1/-1: every event to come is fresh ('' sorts before every key).
    this.freshAfter = position.commit < 0n ? '' : positionKey(position);
  }

  /** Works out a batch (events in position order) without writing it. */
  async plan(events: readonly RecordedEvent[]): Promise<BatchPlan> {
    const projected: ProjectedEvent[] = [];
    const skipped: SkippedEvent[] = [];
    let previous: RecordedEvent | undefined;
    for (const recorded of events) {
      if (previous && comparePositions(previous.position, recorded.position) > 0) {
        throw new Error(`batch out of position order: event ${recorded.id} comes after a later one`);
      }
      previous = recorded;
      const projectable = toProjectable(recorded);
      if ('projected' in projectable) projected.push(projectable.projected);
      else skipped.push(projectable.skipped);
    }

    const documents = await this.load(projected);
    const applied = projectEvents(projected, documents);
    const conversations = documents.map('conversations');
    const membersOf = (conversationId: string): readonly string[] | undefined => conversations.get(conversationId)?.participantIds;
    const notifications = applied.flatMap(({ event, changes }) => notificationsFor(event, changes, membersOf));
    const changes = Object.fromEntries(readModelKeys.map((model) => [model, documents.map(model).changed()])) as unknown as ReadModelChanges;
    const documentCount = Object.values(changes).reduce((sum, list) => sum + list.length, 0);
    return {
      notifications,
      applied,
      skipped,
      position: previous?.position,
      documentCount,
      changes,
      write: async () => {
        if (documentCount === 0) return;
        try {
          await this.storage.write(changes);
        } catch (err) {
          // Part of the batch may be stored: forget what is remembered, and treat everything
          // up to here as possibly stored.
          this.cache.clear();
          if (previous && this.freshAfter !== undefined) {
            const key = positionKey(previous.position);
            if (key > this.freshAfter) this.freshAfter = key;
          }
          throw err;
        }
        this.remember(changes);
      },
    };
  }

  /**
   * Write-behind, for the live worker (its storage's one writer, with a cache): the plan's
   * documents join what the next {@link writeStaged} stores, and every later plan starts from
   * them. Its notifications can go out at once; the read models follow in larger writes.
   */
  stage(plan: BatchPlan): void {
    this.staged.add(plan.changes, plan.position);
  }

  /** Documents staged and not yet written. */
  get stagedCount(): number {
    return this.staged.size + (this.writing?.size ?? 0);
  }

  /**
   * Writes everything staged so far, as one batch would be (model by model in write order,
   * position-guarded), and answers the position it covers (undefined: nothing staged). On a
   * failure the changes stay staged, under anything staged meanwhile, for the next call.
   */
  async writeStaged(): Promise<GlobalPosition | undefined> {
    if (this.writing) throw new Error('writeStaged: a write is already under way');
    const writing = this.staged;
    if (writing.position === undefined) return undefined;
    this.staged = new StagedChanges();
    this.writing = writing;
    try {
      const changes = writing.changes();
      await this.storage.write(changes);
      this.remember(changes);
      return writing.position;
    } catch (err) {
      this.staged = writing.failedUnder(this.staged);
      throw err;
    } finally {
      this.writing = undefined;
    }
  }

  /** Plans and writes a batch. */
  async apply(events: readonly RecordedEvent[]): Promise<BatchPlan> {
    const plan = await this.plan(events);
    await plan.write();
    return plan;
  }

  private async load(events: readonly ProjectedEvent[]): Promise<ReadModelDocuments> {
    const documents = new ReadModelDocuments();
    if (events.length === 0) return documents;
    const named = namedKeys(events);
    await this.loadAll(documents, named, ['users', 'conversations', 'messages'], this.freshMessages(events));
    await this.loadAll(documents, dependentKeys(events, documents), ['timeline', 'inboxes', 'reads', 'contacts']);
    return documents;
  }

  private async loadAll(documents: ReadModelDocuments, keys: DocumentKeys, models: readonly ReadModelName[], freshMessages = new Set<string>()): Promise<void> {
    await Promise.all(
      models.map((model) =>
        this.loadInto(documents.map(model) as DocumentMap<ReadModelDocTypes[typeof model] & StoredDocument>, model, keys[model], model === 'messages' ? freshMessages : undefined),
      ),
    );
  }

  private async loadInto<K extends ReadModelName>(
    map: DocumentMap<ReadModelDocTypes[K] & StoredDocument>,
    model: K,
    ids: Set<string>,
    knownAbsent: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    if (ids.size === 0) return;
    const missing: string[] = [];
    for (const id of ids) {
      const cached = (this.staged.get(model, id) ?? this.writing?.get(model, id) ?? this.cache.get(model, id)) as
        | (ReadModelDocTypes[K] & StoredDocument)
        | null
        | undefined;
      if (cached !== undefined) map.loaded(id, cached);
      else if (knownAbsent.has(id)) map.loaded(id, null);
      else missing.push(id);
    }
    if (missing.length === 0) return;
    const found = new Map((await this.storage.load(model, missing)).map((doc) => [doc._id, doc]));
    for (const id of missing) {
      const doc = found.get(id) ?? null;
      this.cache.set(model, id, doc);
      map.loaded(id, doc);
    }
  }

  /** The ids of messages that MessageSent events of this batch create and nobody can have stored yet. */
  private freshMessages(events: readonly ProjectedEvent[]): Set<string> {
    const fresh = new Set<string>();
    const after = this.freshAfter;
    if (after === undefined) return fresh;
    for (const { event, position } of events) {
      if (event.type === 'MessageSent' && position > after) fresh.add(event.data.messageId);
    }
    return fresh;
  }

  private remember(changes: ReadModelChanges): void {
    if (this.cache.capacity === 0) return;
    for (const model of Object.keys(changes) as ReadModelName[]) {
      for (const { doc } of changes[model]) this.cache.set(model, doc._id, doc);
    }
  }
}

/**
 * Documents kept between batches (staged, cached) are shared, not copied: copying each one
 * handed to a batch was a sixth of the projections' CPU under load. Under test they are
 * frozen, so a projection that changed one in place would throw there rather than corrupt
 * what later batches start from.
 */
const shared: <T extends object>(doc: T) => T = process.env.NODE_ENV === 'test' ? deepFreeze : (doc) => doc;

function deepFreeze<T extends object>(value: T): T {
  if (Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) deepFreeze(child as object);
  return value;
}

/**
 * Changes of several plans merged for one write: the newest version of each document, with
 * what storage held before the first of them (so a document new in an earlier plan is still
 * inserted, not replaced). Handed out shared, like the cache's.
 */
class StagedChanges {
  private readonly byModel = new Map<ReadModelName, Map<string, ChangedDocument<StoredDocument>>>();
  private count = 0;
  position: GlobalPosition | undefined;

  get size(): number {
    return this.count;
  }

  add(changes: ReadModelChanges, position: GlobalPosition | undefined): void {
    for (const model of readModelKeys) {
      for (const change of changes[model] as readonly ChangedDocument<StoredDocument>[]) this.put(model, change);
    }
    if (position !== undefined && (this.position === undefined || comparePositions(position, this.position) > 0)) this.position = position;
  }

  get(model: ReadModelName, id: string): StoredDocument | undefined {
    return this.byModel.get(model)?.get(id)?.doc;
  }

  /**
   * These changes, whose write failed part-way, beneath `newer`: the result holds both, the
   * newer version of each document, and every document of the failed write marked unsure.
   */
  failedUnder(newer: StagedChanges): StagedChanges {
    const merged = new StagedChanges();
    for (const [model, documents] of this.byModel) for (const change of documents.values()) merged.put(model, { ...change, unsure: true });
    for (const [model, documents] of newer.byModel) for (const change of documents.values()) merged.put(model, change);
    merged.position = newer.position ?? this.position;
    return merged;
  }

  changes(): ReadModelChanges {
    return Object.fromEntries(readModelKeys.map((model) => [model, [...(this.byModel.get(model)?.values() ?? [])]])) as unknown as ReadModelChanges;
  }

  private put(model: ReadModelName, change: ChangedDocument<StoredDocument>): void {
    let documents = this.byModel.get(model);
    if (!documents) this.byModel.set(model, (documents = new Map()));
    shared(change.doc);
    const older = documents.get(change.doc._id);
    if (!older) this.count++;
    documents.set(change.doc._id, older ? { doc: change.doc, stored: older.stored, ...(older.unsure || change.unsure ? { unsure: true as const } : {}) } : change);
  }
}

/**
 * Documents by model and id, the least recently used forgotten first, and ids known to have
 * none (most users never read most conversations: what they read is asked at every deletion).
 * Exact only for storage's one writer: what it wrote, or found absent, is what storage holds.
 * Handed out as they are: the projections never change a document they were given (they copy
 * what they change, DocumentMap.own), so a later batch starts from what was written.
 */
class DocumentCache {
  private readonly entries: LruMap<string, StoredDocument | null>;

  constructor(readonly capacity: number) {
    this.entries = new LruMap(capacity);
  }

  /** The document, null when known absent, undefined when not known. */
  get(model: ReadModelName, id: string): StoredDocument | null | undefined {
    return this.entries.get(`${model}:${id}`);
  }

  set(model: ReadModelName, id: string, doc: StoredDocument | null): void {
    if (this.capacity > 0) this.entries.set(`${model}:${id}`, doc && shared(doc));
  }

  clear(): void {
    this.entries.clear();
  }
}
