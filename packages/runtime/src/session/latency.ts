import { performance } from 'node:perf_hooks';

import type { ModelSession } from './model-session.js';
import type { FeedTensor } from './tensor-types.js';

export interface LatencyOptions {
  /** Untimed runs first, so lazy allocations and kernel selection are not measured; default 5. */
  warmupRuns?: number;
  /** Timed runs; default 50. */
  runs?: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  runs: number;
}

/**
 * Times `runOnce` sequentially after warm-up. Percentiles interpolate linearly between order
 * statistics (numpy's default), so small run counts still give stable p95/p99.
 *
 * @example
 * const { p50, p95 } = await measureLatency(() => session.run(feeds), { runs: 100 });
 */
export async function measureLatency(
  runOnce: () => Promise<unknown>,
  options: LatencyOptions = {},
): Promise<LatencySummary> {
  const warmupRuns = options.warmupRuns ?? 5;
  const runs = options.runs ?? 50;
  if (!Number.isSafeInteger(warmupRuns) || warmupRuns < 0) {
    throw new RangeError(`warmupRuns must be a non-negative integer, got ${warmupRuns}`);
  }
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new RangeError(`runs must be a positive integer, got ${runs}`);
  }
  for (let i = 0; i < warmupRuns; i++) await runOnce();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await runOnce();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    p99: percentile(times, 0.99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    runs,
  };
}

/**
 * Batch-1 latency of a model: `feeds` should hold one sample (batch dim 1), as a device serves.
 *
 * @example
 * const fp32 = await measureSessionLatency(session, { X: { data: row, dims: [1, 3] } });
 */
export function measureSessionLatency(
  session: ModelSession,
  feeds: Readonly<Record<string, FeedTensor>>,
  options: LatencyOptions = {},
): Promise<LatencySummary> {
  return measureLatency(() => session.run(feeds), options);
}

/**
 * The q-quantile (0..1) of ascending `sorted` values, interpolating linearly between ranks.
 *
 * @example
 * percentile([1, 2, 3, 4], 0.5); // 2.5
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  const rank = (sorted.length - 1) * Math.min(Math.max(q, 0), 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low]!;
  return a + (sorted[high]! - a) * (rank - low);
}
