import type { CommandAccepted, RejectionCode } from '@chat/contracts';

/**
 * A decider, as in Emmett: `decide(command, state, context)` answers with events or a
 * rejection and never mutates `state`; `evolve(state, event)` folds one event. Time and
 * anything else from the outside world arrive in `context`, so both are pure.
 *
 * `evolve` may update `state` in place and return it: a conversation's state holds an index
 * of all its messages, and copying that on every event would make each send cost as much as
 * the conversation is long. The one who folds (the command handler, a test) owns the state
 * and never keeps the value it passed in.
 */
export interface Decider<Command, Event, State, Result> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, context: DecisionContext): Decision<Event, Result>;
}

export interface DecisionContext {
  readonly now: Date;
  /**
   * Whether a message or a group photo may reference this url: one the media service issued,
   * or one on a host the operator allowed. Deterministic (a MAC check), so deciding stays pure.
   */
  readonly mediaUrlAllowed: (url: string) => boolean;
}

/** What an accepted command answers: the `result` of contracts' CommandAccepted. */
export type CommandAcceptedResult = CommandAccepted['result'];

export type Decision<Event, Result> =
  | { readonly kind: 'accepted'; readonly events: readonly Event[]; readonly result: Result }
  | { readonly kind: 'rejected'; readonly code: RejectionCode; readonly message: string };

export function accepted<Event, Result>(events: readonly Event[], result: Result): Decision<Event, Result> {
  return { kind: 'accepted', events, result };
}

export function rejected<Event, Result>(code: RejectionCode, message: string): Decision<Event, Result> {
  return { kind: 'rejected', code, message };
}
