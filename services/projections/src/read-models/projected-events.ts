import { parseEvent, StreamPrefix } from '@chat/contracts';
import type { RecordedEvent } from '@chat/runtime';
import { positionKey } from '../domain/position-keys';
import type { ProjectedEvent } from '../domain/read-model-documents';

/** The streams the read models are built from; readers of "all" pass these as their filter. */
export const projectedStreamPrefixes: readonly string[] = [StreamPrefix.Conversation, StreamPrefix.User];

export interface SkippedEvent {
  readonly id: string;
  readonly streamName: string;
  readonly position: string;
  readonly reason: string;
}

export type Projectable = { readonly projected: ProjectedEvent } | { readonly skipped: SkippedEvent };

/**
 * A stored event as the projections take it: upcast and validated through the contracts'
 * parser. Events of other streams, of unknown types or with invalid data are skipped (and
 * reported), never thrown on: one unreadable event must not stop every read model behind it.
 */
export function toProjectable(recorded: RecordedEvent): Projectable {
  const position = positionKey(recorded.position);
  const skip = (reason: string): Projectable => ({ skipped: { id: recorded.id, streamName: recorded.streamName, position, reason } });
  if (!projectedStreamPrefixes.some((prefix) => recorded.streamName.startsWith(prefix))) return skip('not a projected stream');
  const parsed = parseEvent(recorded.type, recorded.metadata.schemaVersion, recorded.data);
  if (!parsed.success) return skip(parsed.message);
  return { projected: { id: recorded.id, position, metadata: recorded.metadata, event: parsed.data } };
}
