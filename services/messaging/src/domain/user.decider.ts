import { ErrorMessage, type CommandOf, type EventOf } from '@chat/contracts';
import { accepted, rejected, type CommandAcceptedResult, type Decider, type Decision } from './decider';

/**
 * The user aggregate: one stream, `user-<id>`, holding the registration the identity
 * service's hook made. Blocks are not here but on the pair's conversation stream (see
 * conversation.decider.ts), where sends between the two are decided.
 */

export type UserCommand = CommandOf<'RegisterUser'>;
export type UserEvent = EventOf<'UserRegistered'>;

export type UserState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'registered'; readonly userId: string; readonly name: string; readonly profileImage: string | null };

type UserDecision = Decision<UserEvent, CommandAcceptedResult>;

function initialState(): UserState {
  return { status: 'unregistered' };
}

function evolve(state: UserState, event: UserEvent): UserState {
  const { userId, name, profileImage } = event.data;
  return { status: 'registered', userId, name, profileImage };
}

/**
 * Registering again with the same details is the hook retrying: accepted, nothing new.
 * Different details under a taken id are a different user, and profile changes are not
 * registration's business.
 */
function decide(command: UserCommand, state: UserState): UserDecision {
  const { userId, name, profileImage } = command.data;
  if (state.status === 'registered') {
    return state.name === name && state.profileImage === profileImage
      ? accepted([], { userId, duplicate: true })
      : rejected('conflict', ErrorMessage.UserAlreadyExists);
  }
  return accepted([{ type: 'UserRegistered', version: 1, data: { userId, name, profileImage } }], { userId });
}

export const userDecider: Decider<UserCommand, UserEvent, UserState, CommandAcceptedResult> = {
  initialState,
  evolve,
  decide,
};
