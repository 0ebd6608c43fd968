import { eventMetadataSchema } from '@chat/contracts';
import type { AllFilter, EventToAppend, ExpectedRevision } from './event-store';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks an append before either adapter sends it, so both refuse the same input the same
 * way: the store is the source of truth, and a malformed event written today is history
 * every projection must cope with forever.
 */
export function validateAppend(streamName: string, events: readonly EventToAppend[], expected: ExpectedRevision): void {
  if (streamName.length === 0) throw new Error('appendToStream: empty stream name');
  if (streamName.startsWith('$')) throw new Error(`appendToStream: '${streamName}' is a system stream name`);
  // Zero events would make "the revision after the append" and "the append's position"
  // meaningless; a decider that decides nothing has nothing to append.
  if (events.length === 0) throw new Error(`appendToStream(${streamName}): no events`);
  if (typeof expected === 'bigint' && expected < 0n) {
    throw new Error(`appendToStream(${streamName}): expected revision ${expected} is negative`);
  }
  const seen = new Set<string>();
  for (const event of events) {
    if (!UUID.test(event.id)) throw new Error(`appendToStream(${streamName}): event id '${event.id}' is not a UUID`);
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new Error(`appendToStream(${streamName}): event id ${event.id} appears twice in one append`);
    seen.add(id);
    if (event.type.length === 0 || event.type.startsWith('$')) {
      throw new Error(`appendToStream(${streamName}): event type '${event.type}' is empty or reserved`);
    }
    const metadata = eventMetadataSchema.safeParse(event.metadata);
    if (!metadata.success) {
      throw new Error(`appendToStream(${streamName}): event ${event.id} has invalid metadata: ${metadata.error.message}`);
    }
  }
}

/**
 * An empty list is refused rather than read as "everything" or "nothing": both readings are
 * plausible, and guessing wrong silently starves or floods a projection.
 */
export function validateFilter(filter: AllFilter | undefined): void {
  if (filter?.streamPrefixes?.length === 0) throw new Error('filter.streamPrefixes is empty: omit it to match every stream');
  if (filter?.eventTypes?.length === 0) throw new Error('filter.eventTypes is empty: omit it to match every type');
}

export function validateMaxCount(maxCount: number | undefined): void {
  if (maxCount !== undefined && (!Number.isSafeInteger(maxCount) || maxCount < 0)) {
    throw new Error(`maxCount must be a non-negative integer, not ${maxCount}`);
  }
}

export function matchesFilter(streamName: string, type: string, filter: AllFilter | undefined): boolean {
  if (filter?.streamPrefixes && !filter.streamPrefixes.some((prefix) => streamName.startsWith(prefix))) return false;
  if (filter?.eventTypes && !filter.eventTypes.includes(type)) return false;
  return true;
}
