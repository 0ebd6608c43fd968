import { ErrorMessage, type CommandOf, type EventOf } from '@chat/contracts';
import { expectContractEvent } from './testing/conversation-fixtures';
import { deciderSpecification } from './testing/decider-specification';
import { userDecider } from './user.decider';

const alice = '507f1f77bcf86cd799439021';
const image = 'https://cdn.example.com/alice.jpg';
const spec = deciderSpecification(userDecider, {
  context: { now: new Date('2024-05-01T10:00:00.000Z'), mediaUrlAllowed: () => true },
  checkEvent: expectContractEvent,
});

function register(name: string, profileImage: string | null): CommandOf<'RegisterUser'> {
  return {
    type: 'RegisterUser',
    version: 1,
    commandId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84',
    data: { userId: alice, name, profileImage },
    metadata: {
      userId: alice,
      gatewayId: 'gateway-1',
      correlationId: '2f0c8b1e-3b7a-4c1e-9a57-0d7c3f2a1b90',
      issuedAt: '2024-05-01T10:00:00.000Z',
    },
  };
}

function registered(name: string, profileImage: string | null): EventOf<'UserRegistered'> {
  return { type: 'UserRegistered', version: 1, data: { userId: alice, name, profileImage } };
}

describe('user decider', () => {
  it('registers a new user', () => {
    spec.given([]).when(register('Alice', image)).then([registered('Alice', image)], { userId: alice });
    spec.given([]).when(register('Alice', null)).then([registered('Alice', null)], { userId: alice });
  });

  it('answers the same registration again as a duplicate, with nothing new', () => {
    spec.given([registered('Alice', image)]).when(register('Alice', image)).then([], { userId: alice, duplicate: true });
    spec.given([registered('Alice', null)]).when(register('Alice', null)).then([], { userId: alice, duplicate: true });
  });

  it.each([
    ['another name', register('Alicia', image)],
    ['another profile image', register('Alice', 'https://cdn.example.com/other.jpg')],
    ['no profile image', register('Alice', null)],
  ])('refuses a registration with %s under a taken id', (_label, command) => {
    spec.given([registered('Alice', image)]).when(command).then({ rejected: 'conflict', message: ErrorMessage.UserAlreadyExists });
  });
});
