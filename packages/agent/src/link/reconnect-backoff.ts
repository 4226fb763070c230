/**
 * Reconnect delays: exponential from a first delay up to a cap, with +-20% jitter so that a
 * fleet cut off by the same outage does not reconnect in lockstep when the broker returns.
 */
export class ReconnectBackoff {
  private current: number;

  constructor(
    private readonly firstMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.current = firstMs;
  }

  /** Back to the first delay (after a successful connection); returns it, jittered. */
  reset(): number {
    this.current = this.firstMs;
    return this.jitter(this.current);
  }

  /**
   * The delay before the attempt after the one starting now, jittered.
   *
   * @example
   * const b = new ReconnectBackoff(1000, 30_000, () => 0.5);
   * b.next(); // 2000
   */
  next(): number {
    this.current = Math.min(this.current * 2, Math.max(this.capMs, this.firstMs));
    return this.jitter(this.current);
  }

  private jitter(ms: number): number {
    return Math.max(1, Math.round(ms * (0.8 + 0.4 * this.random())));
  }
}
