/**
 * Recent customer merges made on this node. A link merges the customer in the middle of a
 * turn; the rest of that turn (the "linked!" reply, state saves) must land on the
 * surviving customer, not the deleted one. Bounded; no timers.
 */
export class MergeLog {
  private readonly into = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  record(sourceId: string, targetId: string): void {
    this.into.set(sourceId, targetId);
    if (this.into.size > this.max) {
      const oldest = this.into.keys().next().value;
      if (oldest !== undefined) this.into.delete(oldest);
    }
  }

  /** The customer id that `customerId` now lives on (itself if never merged). */
  resolve(customerId: string): string {
    let id = customerId;
    for (let hops = 0; hops < 10; hops++) {
      const next = this.into.get(id);
      if (next === undefined) return id;
      id = next;
    }
    return id;
  }
}
