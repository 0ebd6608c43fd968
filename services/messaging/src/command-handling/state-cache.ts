/**
 * Aggregate state kept in memory between commands, so a command costs one append, not a
 * replay of its stream. Commands are keyed by stream on Kafka, so while this instance owns a
 * partition it is the only writer of that partition's streams and its cached state stays
 * current; the expected revision on every append catches the moment it is not (a rebalance
 * moved the partition away and back), and the entry is then dropped and reloaded.
 *
 * Bounded by weight (events folded, a fair proxy for memory), least recently used first.
 */
export interface CachedStream<State> {
  state: State;
  /** Revision of the last event folded into `state`; undefined while the stream is empty. */
  revision: bigint | undefined;
  /** Events folded so far: the entry's weight. */
  eventCount: number;
  /** Events appended or folded since the latest snapshot. */
  sinceSnapshot: number;
  /** Recent command ids that produced events here, oldest first (redelivery detection). */
  readonly recentCommands: RecentCommands;
}

export class RecentCommands {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Oldest first. */
  list(): string[] {
    return [...this.ids];
  }

  has(commandId: string): boolean {
    return this.ids.has(commandId);
  }

  add(commandId: string): void {
    if (this.ids.has(commandId)) return;
    this.ids.add(commandId);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
}

export class StateCache {
  private readonly entries = new Map<string, CachedStream<unknown>>();
  private weight = 0;

  constructor(private readonly maxWeight: number) {}

  get<State>(streamName: string): CachedStream<State> | undefined {
    const entry = this.entries.get(streamName);
    if (!entry) return undefined;
    // Re-inserting moves the entry to the young end of the Map's order.
    this.entries.delete(streamName);
    this.entries.set(streamName, entry);
    return entry as CachedStream<State>;
  }

  set<State>(streamName: string, entry: CachedStream<State>): void {
    this.delete(streamName);
    this.entries.set(streamName, entry as CachedStream<unknown>);
    this.weight += entry.eventCount;
    this.evict();
  }

  /** Call after folding new events into an entry obtained from `get`. */
  grew(streamName: string, events: number): void {
    if (!this.entries.has(streamName)) return;
    this.weight += events;
    this.evict();
  }

  delete(streamName: string): void {
    const entry = this.entries.get(streamName);
    if (!entry) return;
    this.entries.delete(streamName);
    this.weight -= entry.eventCount;
  }

  clear(): void {
    this.entries.clear();
    this.weight = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    for (const [name, entry] of this.entries) {
      // Never evict the only entry, however heavy: it is the one being worked on.
      if (this.weight <= this.maxWeight || this.entries.size <= 1) break;
      this.entries.delete(name);
      this.weight -= entry.eventCount;
    }
  }
}
