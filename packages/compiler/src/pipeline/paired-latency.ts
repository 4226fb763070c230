import { performance } from 'node:perf_hooks';
import type { FeedTensor, ModelSession } from '@edgefleet/runtime';

export interface PairedLatency {
  /** Batch-1 p50 of the reference model, ms. */
  readonly referenceMs: number;
  /** Batch-1 p50 of the candidate, ms. */
  readonly candidateMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Batch-1 latency of two models measured in alternating blocks, so that load from other
 * processes (a 2-core edge box, a busy CI runner) hits both alike: measured one after the other,
 * identical models differed by up to 30% here; alternating blocks keep the ratio within a few
 * percent.
 *
 * @example
 * const { referenceMs, candidateMs } = await pairedLatency(fp32, int8, feeds);
 */
export async function pairedLatency(
  reference: ModelSession,
  candidate: ModelSession,
  feeds: Record<string, FeedTensor>,
  { warmupRuns = 20, blocks = 8, runsPerBlock = 25 } = {},
): Promise<PairedLatency> {
  for (let i = 0; i < warmupRuns; i++) {
    await reference.run(feeds);
    await candidate.run(feeds);
  }
  const times: [number[], number[]] = [[], []];
  const sessions = [reference, candidate] as const;
  for (let b = 0; b < blocks; b++) {
    // Swap the order every block so neither model always runs right after the other's cache use.
    const order = b % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const session = sessions[which as 0 | 1];
      for (let r = 0; r < runsPerBlock; r++) {
        const t0 = performance.now();
        await session.run(feeds);
        times[which as 0 | 1].push(performance.now() - t0);
      }
    }
  }
  return { referenceMs: median(times[0]), candidateMs: median(times[1]) };
}
