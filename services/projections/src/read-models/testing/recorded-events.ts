import type { DomainEvent, EventMetadata } from '@chat/contracts';
import type { RecordedEvent } from '@chat/runtime';

interface EventToRecord {
  readonly id: string;
  readonly streamName: string;
  readonly event: DomainEvent;
  readonly metadata: EventMetadata;
}

/** Events as a store would record them, one per transaction, at positions first, first+1, … */
export function recordEvents(events: readonly EventToRecord[], first = 1): RecordedEvent[] {
  const revisions = new Map<string, bigint>();
  return events.map(({ id, streamName, event, metadata }, index) => {
    const revision = revisions.get(streamName) ?? 0n;
    revisions.set(streamName, revision + 1n);
    const n = BigInt(first + index);
    return {
      id,
      streamName,
      revision,
      position: { commit: n, prepare: n },
      type: event.type,
      data: event.data,
      metadata,
      createdAt: new Date(metadata.occurredAt),
    };
  });
}
