import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/ingest/token-buckets.js';

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the rate, per key', () => {
    let now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 }, () => now);
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([true, true, true, false]);
    expect(buckets.take('b')).toBe(true);
    now = 499;
    expect(buckets.take('a')).toBe(false);
    now = 1000;
    // One second at 2/s since the bucket ran dry: two tokens.
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([true, true, false]);
    now = 100_000;
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([true, true, true, false]);
    buckets.forget('a');
    expect(buckets.take('a')).toBe(true);
  });
});
