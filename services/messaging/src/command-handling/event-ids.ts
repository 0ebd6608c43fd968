import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace of this system's derived event ids. */
const EVENT_ID_NAMESPACE = '6f1c2a0e-5b7d-4c1e-9a43-2d8e7f0b9c61';

/**
 * The id of the n-th event a command produced: the same on every delivery of the command, so
 * the event store recognises a retried append instead of storing the events twice.
 */
export function eventIdFor(commandId: string, index: number): string {
  return uuidv5(`${commandId}/${index}`, EVENT_ID_NAMESPACE);
}

/** The id of a command the handler derives from another (a follow-up): the same on every delivery of that command. */
export function followUpCommandId(commandId: string, purpose: string): string {
  return uuidv5(`${commandId}/follow-up/${purpose}`, EVENT_ID_NAMESPACE);
}
