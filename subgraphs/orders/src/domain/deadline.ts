/**
 * One time budget for a whole placeOrder. The gateway gives up on a subgraph call at a moment it sends
 * along (the deadline headers); an order decided after that would be one its client was told had failed,
 * so every step of the saga draws from this budget, and nothing is placed once it is spent.
 */
export class Deadline {
  /** Epoch milliseconds at which the budget is spent. */
  readonly at: number;

  constructor(budgetMs: number, now = Date.now()) {
    this.at = now + budgetMs;
  }

  /**
   * The saga's own budget (`budgetMs` from now), ending `marginMs` before the caller's deadline when it sent
   * one: the margin is the time the answer needs to reach the caller once the saga has decided.
   */
  static forRequest(budgetMs: number, callerDeadline: number | undefined, marginMs: number, now = Date.now()): Deadline {
    const own = new Deadline(budgetMs, now);
    if (callerDeadline === undefined || callerDeadline - marginMs >= own.at) return own;
    return new Deadline(callerDeadline - marginMs - now, now);
  }

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  passed(): boolean {
    return this.remainingMs() === 0;
  }

  /** A call's timeout: its own, cut to what is left of the budget. */
  cap(ownTimeoutMs: number): number {
    return Math.min(ownTimeoutMs, this.remainingMs());
  }
}
