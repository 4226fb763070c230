/** Per-device token buckets: a device may send `ratePerSecond` messages, with bursts up to `burst`. */

/** Limits of one bucket. */
export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

/** Default device limit: generous for an agent's outbox replay, a wall against a flood. */
export const DEFAULT_DEVICE_RATE_LIMIT: RateLimit = { ratePerSecond: 500, burst: 5000 };

/**
 * One token bucket per key.
 *
 * @example
 * const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 100 });
 * if (!buckets.take('press-07')) drop();
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit = DEFAULT_DEVICE_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    const refill = ((now - bucket.at) / 1000) * this.limit.ratePerSecond;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + Math.max(0, refill));
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets a key (e.g. a revoked device). */
  forget(key: string): void {
    this.#buckets.delete(key);
  }
}
