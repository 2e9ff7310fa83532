/**
 * A bounded set of recently seen ids (insertion-ordered Map used as an LRU). In-memory consumers
 * use it to drop redeliveries: Kafka redelivers after a rebalance or a relay retry, and those
 * duplicates arrive close together, so remembering the last N ids is enough.
 */
export class RecentIds {
  private readonly seen = new Map<string, true>();

  constructor(private readonly capacity: number) {}

  /** Records the id; returns false when it was already seen. */
  add(id: string): boolean {
    if (this.seen.has(id)) {
      this.seen.delete(id);
      this.seen.set(id, true);
      return false;
    }
    this.seen.set(id, true);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
