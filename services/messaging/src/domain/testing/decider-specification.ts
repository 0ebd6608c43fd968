import type { RejectionCode } from '@chat/contracts';
import type { Decider, Decision, DecisionContext } from '../decider';

/**
 * Specification-style tests for deciders, after Emmett's DeciderSpecification:
 *
 *   spec.given([conversationCreated]).when(sendMessage).then([messageSent]);
 *   spec.given([]).when(sendMessage).then({ rejected: 'not_found', message: ErrorMessage.ConversationNotFound });
 *
 * `given` folds the events from the initial state, `when` decides, `then` asserts. For test
 * files only: it uses Jest's `expect`.
 */

export interface ExpectedRejection {
  readonly rejected: RejectionCode;
  readonly message: string;
}

export interface SpecificationOptions<State, Event> {
  readonly context: DecisionContext;
  /**
   * A plain picture of the state. When given, every `then` checks that deciding left the
   * state as it found it: `evolve` may mutate, `decide` never.
   */
  readonly fingerprint?: (state: State) => unknown;
  /** Called on every decided event, e.g. to check it against the contract's schema. */
  readonly checkEvent?: (event: Event) => void;
}

export interface WhenStage<Command, Event, Result> {
  when(command: Command): ThenStage<Event, Result>;
}

export interface ThenStage<Event, Result> {
  /**
   * Accepted with exactly `expected` events (none: `[]`) and, when `result` is given, exactly
   * that result; or rejected with the expected code and message.
   */
  then(expected: readonly Event[] | ExpectedRejection, result?: Result): void;
  /** The decision itself, for what `then` does not cover. */
  decision(): Decision<Event, Result>;
}

export function deciderSpecification<Command, Event, State, Result>(
  decider: Decider<Command, Event, State, Result>,
  options: SpecificationOptions<State, Event>,
) {
  return {
    given(events: readonly Event[]): WhenStage<Command, Event, Result> {
      return {
        when(command: Command): ThenStage<Event, Result> {
          const decideOnce = () => {
            const state = events.reduce((folded, event) => decider.evolve(folded, event), decider.initialState());
            const before = options.fingerprint?.(state);
            const decision = decider.decide(command, state, options.context);
            if (options.fingerprint) expect(options.fingerprint(state)).toEqual(before);
            return { state, decision };
          };
          return {
            then(expected, result) {
              const { state, decision } = decideOnce();
              if ('rejected' in expected) {
                expect(decision).toEqual({ kind: 'rejected', code: expected.rejected, message: expected.message });
                return;
              }
              expect(decision.kind).toBe('accepted');
              if (decision.kind !== 'accepted') return;
              expect(decision.events).toEqual(expected);
              if (options.checkEvent) decision.events.forEach(options.checkEvent);
              if (result !== undefined) expect(decision.result).toEqual(result);
              // What was decided must fold: a decision evolve cannot take is a bug in one of them.
              decision.events.reduce((folded, event) => decider.evolve(folded, event), state);
            },
            decision() {
              return decideOnce().decision;
            },
          };
        },
      };
    },
  };
}
