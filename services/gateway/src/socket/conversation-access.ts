import { toObjectId } from '@chat/contracts';
import type { ReadModelQueries } from '@chat/projections/read-models';

export type Access = 'not_found' | 'not_participant' | 'ok';

/**
 * Who may join a conversation's room or type in it, from the read model. Member lists are
 * kept for a moment (typing indicators arrive several times a second per typist); an unknown
 * conversation is asked again every time, so one created a moment ago is found as soon as the
 * read model has it.
 */
export class ConversationAccess {
  private readonly members = new Map<string, { readonly ids: ReadonlySet<string>; readonly until: number }>();

  constructor(
    private readonly queries: ReadModelQueries,
    private readonly ttlMs = 1_000,
    private readonly maxEntries = 20_000,
  ) {}

  /** Drops what is known of a conversation's members (after a change made through this gateway). */
  forget(conversationId: string): void {
    this.members.delete(conversationId);
  }

  /** `fresh`: ask the read model even when the member list is remembered. */
  async check(conversationId: string, userId: string, options: { fresh?: boolean } = {}): Promise<Access> {
    const id = toObjectId(conversationId);
    if (id === undefined) return 'not_found';
    const now = Date.now();
    let entry = this.members.get(id);
    if (!entry || entry.until <= now || options.fresh) {
      const participants = await this.queries.participantsOf(id);
      if (participants === null) return 'not_found';
      if (this.members.size >= this.maxEntries) this.members.clear();
      entry = { ids: new Set(participants), until: now + this.ttlMs };
      this.members.set(id, entry);
    }
    return entry.ids.has(userId) ? 'ok' : 'not_participant';
  }
}
