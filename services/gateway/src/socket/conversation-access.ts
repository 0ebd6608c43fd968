import { toObjectId } from '@chat/contracts';
import { ParticipantLists, type ReadModelQueries } from '@chat/projections/read-models';

export type Access = 'not_found' | 'not_participant' | 'ok';

/**
 * Who may join a conversation's room or type in it, from the read model. Member lists are
 * kept for a moment (typing indicators arrive several times a second per typist).
 */
export class ConversationAccess {
  private readonly members: ParticipantLists;

  constructor(queries: ReadModelQueries, ttlMs = 1_000, maxEntries = 20_000) {
    this.members = new ParticipantLists(queries, ttlMs, maxEntries);
  }

  /** Drops what is known of a conversation's members (after a change made through this gateway). */
  forget(conversationId: string): void {
    this.members.forget(conversationId);
  }

  /** `fresh`: ask the read model even when the member list is remembered. */
  async check(conversationId: string, userId: string, options: { fresh?: boolean } = {}): Promise<Access> {
    const id = toObjectId(conversationId);
    if (id === undefined) return 'not_found';
    const participants = await this.members.of(id, options);
    if (participants === null) return 'not_found';
    return participants.includes(userId) ? 'ok' : 'not_participant';
  }
}
