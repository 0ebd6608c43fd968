import type { ReadModelQueries } from './queries';

/**
 * Conversations' member lists from the read model, each kept for a moment: readers that ask
 * per event (typing indicators, every new message's delivery check) cost the read store one
 * lookup per conversation per `ttlMs` instead of one per event. An unknown conversation is
 * asked again every time, so one created a moment ago is found as soon as the read model has
 * it. A membership change is seen after `ttlMs` at the latest, or at once by whoever calls
 * `forget`.
 */
export class ParticipantLists {
  private readonly lists = new Map<string, { readonly ids: readonly string[]; readonly until: number }>();

  constructor(
    private readonly queries: Pick<ReadModelQueries, 'participantsOf'>,
    private readonly ttlMs = 1_000,
    private readonly maxEntries = 20_000,
  ) {}

  /** The members of a conversation (null: no such conversation); `fresh` asks the read model. */
  async of(conversationId: string, options: { fresh?: boolean } = {}): Promise<readonly string[] | null> {
    const now = Date.now();
    const cached = this.lists.get(conversationId);
    if (cached && cached.until > now && !options.fresh) return cached.ids;
    const participants = await this.queries.participantsOf(conversationId);
    if (participants === null) return null;
    // Wholesale: cheaper than LRU bookkeeping, and a refill costs one lookup per conversation.
    if (this.lists.size >= this.maxEntries) this.lists.clear();
    this.lists.set(conversationId, { ids: participants, until: now + this.ttlMs });
    return participants;
  }

  forget(conversationId: string): void {
    this.lists.delete(conversationId);
  }
}
