/**
 * A bounded set of recently seen keys: `add` says whether a key is new. The oldest keys are
 * forgotten first, so memory stays flat however long the gateway runs; a duplicate arriving
 * after `capacity` newer keys would pass, far beyond any redelivery window seen in practice.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    return true;
  }
}
