import { accepted, rejected, type Decider } from '../decider';
import { deciderSpecification } from './decider-specification';

/** A counter that refuses to go below zero: just enough decider to check the helper's verdicts. */
type CounterCommand = { type: 'add'; by: number };
type CounterEvent = { type: 'added'; by: number };
const counter: Decider<CounterCommand, CounterEvent, { total: number }, { total: number }> = {
  initialState: () => ({ total: 0 }),
  evolve: (state, event) => ({ total: state.total + event.by }),
  decide: (command, state) =>
    state.total + command.by < 0
      ? rejected('invalid', 'below zero')
      : accepted(command.by === 0 ? [] : [{ type: 'added', by: command.by }], { total: state.total + command.by }),
};
const spec = deciderSpecification(counter, { context: { now: new Date(0), mediaUrlAllowed: () => true }, fingerprint: (state) => ({ ...state }) });

describe('deciderSpecification', () => {
  it('passes when the decision is as expected', () => {
    spec.given([{ type: 'added', by: 2 }]).when({ type: 'add', by: 3 }).then([{ type: 'added', by: 3 }], { total: 5 });
    spec.given([{ type: 'added', by: 2 }]).when({ type: 'add', by: -3 }).then({ rejected: 'invalid', message: 'below zero' });
    spec.given([]).when({ type: 'add', by: 0 }).then([]);
  });

  it('fails on other events, another result, a rejection, or another rejection', () => {
    expect(() => spec.given([]).when({ type: 'add', by: 1 }).then([{ type: 'added', by: 2 }])).toThrow();
    expect(() => spec.given([]).when({ type: 'add', by: 1 }).then([])).toThrow();
    expect(() => spec.given([]).when({ type: 'add', by: 1 }).then([{ type: 'added', by: 1 }], { total: 7 })).toThrow();
    expect(() => spec.given([]).when({ type: 'add', by: -1 }).then([])).toThrow();
    expect(() => spec.given([]).when({ type: 'add', by: -1 }).then({ rejected: 'forbidden', message: 'below zero' })).toThrow();
    expect(() => spec.given([]).when({ type: 'add', by: 1 }).then({ rejected: 'invalid', message: 'below zero' })).toThrow();
  });

  it('fails when decide changes the state it was given', () => {
    const mutating: typeof counter = {
      ...counter,
      decide: (command, state) => {
        state.total += command.by;
        return accepted([], state);
      },
    };
    const mutatingSpec = deciderSpecification(mutating, { context: { now: new Date(0), mediaUrlAllowed: () => true }, fingerprint: (state) => ({ ...state }) });
    expect(() => mutatingSpec.given([]).when({ type: 'add', by: 1 }).then([])).toThrow();
  });

  it('hands every decided event to checkEvent', () => {
    const seen: CounterEvent[] = [];
    const checking = deciderSpecification(counter, { context: { now: new Date(0), mediaUrlAllowed: () => true }, checkEvent: (event) => seen.push(event) });
    checking.given([]).when({ type: 'add', by: 2 }).then([{ type: 'added', by: 2 }]);
    expect(seen).toEqual([{ type: 'added', by: 2 }]);
  });
});
