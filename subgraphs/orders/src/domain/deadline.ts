/**
 * One time budget for a whole placeOrder. The gateway gives up on a subgraph call after its own timeout;
 * an order decided after that would be one its client was told had failed, so every step of the saga
 * draws from this budget, and nothing is placed once it is spent.
 */
export class Deadline {
  private readonly at: number;

  constructor(budgetMs: number, now = Date.now()) {
    this.at = now + budgetMs;
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
