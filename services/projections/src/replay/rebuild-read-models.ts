import { type EventStore, type GlobalPosition, type RecordedEvent, startOfAll } from '@chat/runtime';
import type { Db } from 'mongodb';
import { projectEvents } from '../domain/batch-projection';
import type { ProjectedEvent } from '../domain/read-model-documents';
import { activateReadModels } from '../read-models/active-read-models';
import { CheckpointStore } from '../read-models/checkpoint-store';
import { checkpointNameOf, collectionNamesOf, type ReadModelCollections, readModelCollections } from '../read-models/read-model-collections';
import { projectedStreamPrefixes, toProjectable } from '../read-models/projected-events';
import { DocumentLifetimes } from './document-lifetimes';
import { ReplayCache } from './replay-cache';

export type RebuildPhase = 'scanning' | 'building' | 'catching-up' | 'switching' | 'done';

export interface RebuildProgress {
  readonly phase: RebuildPhase;
  /** Events read from the store (projected or skipped). */
  readonly events: number;
  readonly projected: number;
  readonly skipped: number;
  readonly documentsWritten: number;
  /**
   * Documents written twice: changed, after they were final as far as the first pass could
   * see, by events appended during the rebuild.
   */
  readonly documentsRewritten: number;
  readonly position: GlobalPosition | undefined;
  readonly elapsedMs: number;
  /** Events read per second since the start. */
  readonly eventsPerSecond: number;
}

export interface RebuildOptions {
  /** Collection-name prefix shared with the live set. Default ''. */
  readonly prefix?: string;
  /** The new set's suffix. Default `_r<epoch ms>`. */
  readonly suffix?: string;
  /** Events per read from the store. Default 5,000. */
  readonly pageSize?: number;
  /** Make the new set the active one. Default true. */
  readonly activate?: boolean;
  /** Drop the set the switch replaced. Default true. */
  readonly dropPrevious?: boolean;
  /**
   * Wait this long between the switch and dropping the old set, so readers that cached the
   * active set (ReadModelQueries, 1 s by default) and the live worker (which looks every 2 s,
   * then finishes its batch in flight: seconds on FerretDB) move over first. Default 60,000.
   */
  readonly dropDelayMs?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Least time between two progress reports. Default 1,000. */
  readonly progressEveryMs?: number;
}

export interface RebuildResult extends RebuildProgress {
  readonly collections: ReadModelCollections;
  /** The set the switch replaced (undefined when not activated). */
  readonly previous: ReadModelCollections | undefined;
  /** Milliseconds spent per stage; reading overlaps applying, writing overlaps both. */
  readonly timings: { readonly scan: number; readonly build: number; readonly catchUp: number; readonly switch: number };
}

/**
 * Rebuilds every read model from the first event into a new set of collections, while the
 * live set keeps serving, then switches to it atomically (one document, see
 * active-read-models.ts) and drops the old set.
 *
 * Two passes over the store, in pages (the next page is read while the current one is
 * used): a quick one that finds when each document stops changing (document-lifetimes.ts),
 * then one that applies the same pure projections as the live applier to documents held in
 * memory and inserts each document as soon as it is final, in large unordered inserts that
 * run while later events are applied (see replay-cache.ts). Then whatever arrived meanwhile
 * is applied, and the new set's checkpoint is saved: a live worker that reopens the active
 * set resumes from exactly there.
 *
 * The rebuild is the only writer of its collections (the one-writer rule). A failed rebuild
 * leaves its collections behind, unused; running again with the same suffix starts over.
 */
export async function rebuildReadModels(store: EventStore, db: Db, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = Date.now();
  const collections = readModelCollections({ prefix: options.prefix ?? '', suffix: options.suffix ?? `_r${started}` });
  const pageSize = options.pageSize ?? 5_000;
  const progressEveryMs = options.progressEveryMs ?? 1_000;
  const cache = new ReplayCache(db, collections);
  const filter = { streamPrefixes: projectedStreamPrefixes };

  let phase: RebuildPhase = 'scanning';
  let events = 0;
  let projectedCount = 0;
  let skipped = 0;
  let position: GlobalPosition | undefined;
  let reportedAt = 0;
  const progress = (): RebuildProgress => {
    const elapsedMs = Date.now() - started;
    return {
      phase,
      events,
      projected: projectedCount,
      skipped,
      documentsWritten: cache.documentsWritten,
      documentsRewritten: cache.documentsRewritten,
      position,
      elapsedMs,
      eventsPerSecond: elapsedMs > 0 ? Math.round((events * 1000) / elapsedMs) : 0,
    };
  };
  const report = (force = false): void => {
    if (!options.onProgress || (!force && Date.now() - reportedAt < progressEveryMs)) return;
    reportedAt = Date.now();
    options.onProgress(progress());
  };

  report(true);
  await dropCollections(db, collections);
  const lifetimes = await DocumentLifetimes.scan(store, filter, pageSize);
  const scanned = Date.now();
  phase = 'building';
  report(true);

  /** Reads and applies everything after `position`; answers when a read comes back short (caught up). */
  const applyUntilCaughtUp = async (): Promise<void> => {
    let next: Promise<RecordedEvent[]> | undefined = store.readAll({ after: position ?? startOfAll, maxCount: pageSize, filter });
    while (next) {
      const page: RecordedEvent[] = await next;
      const last = page[page.length - 1];
      next = last && page.length === pageSize ? store.readAll({ after: last.position, maxCount: pageSize, filter }) : undefined;
      // A read that has not been awaited yet must not surface as unhandled if applying fails.
      next?.catch(() => undefined);
      const projected: ProjectedEvent[] = [];
      for (const recorded of page) {
        const projectable = toProjectable(recorded);
        if ('projected' in projectable) projected.push(projectable.projected);
        else skipped += 1;
      }
      await cache.prepare(projected, events + page.length <= lifetimes.scannedEvents);
      projectEvents(projected, cache.documents);
      await cache.writeFinal(lifetimes.finalBetween(events, events + page.length));
      events += page.length;
      projectedCount += projected.length;
      if (last) position = last.position;
      report();
    }
    await cache.writeAll();
  };

  await applyUntilCaughtUp();
  const built = Date.now();

  phase = 'catching-up';
  report(true);
  await applyUntilCaughtUp();
  if (position) await new CheckpointStore(db, collections.prefix).saveCheckpoint(checkpointNameOf(collections), position);
  const caughtUp = Date.now();

  phase = 'switching';
  report(true);
  let previous: ReadModelCollections | undefined;
  if (options.activate ?? true) {
    previous = await activateReadModels(db, collections);
    if ((options.dropPrevious ?? true) && previous.suffix !== collections.suffix) {
      await sleep(options.dropDelayMs ?? 60_000);
      await dropCollections(db, previous);
      await new CheckpointStore(db, previous.prefix).deleteCheckpoint(checkpointNameOf(previous));
    }
  }
  const finished = Date.now();

  phase = 'done';
  const result: RebuildResult = {
    ...progress(),
    collections,
    previous,
    timings: { scan: scanned - started, build: built - scanned, catchUp: caughtUp - built, switch: finished - caughtUp },
  };
  options.onProgress?.(result);
  return result;
}

async function dropCollections(db: Db, collections: ReadModelCollections): Promise<void> {
  const names = new Set(Object.values(collectionNamesOf(collections)));
  const existing = await db.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of existing) if (names.has(name)) await db.collection(name).drop();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
