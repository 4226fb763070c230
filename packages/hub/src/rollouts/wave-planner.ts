/**
 * Splits a rollout's devices into waves. Devices are ordered by sha256(rolloutId + deviceId), so
 * the canary set is random across rollouts yet the same every time one rollout is planned.
 */
import { createHash } from 'node:crypto';
import { isCohorts } from './option-values.js';
import type { WavesSpec } from './option-values.js';
import { RolloutError } from './rollout-errors.js';

/** One planned wave: its devices in hash order. */
export interface PlannedWave {
  index: number;
  /** Cumulative percentage, or null for an explicit cohort. */
  percent: number | null;
  deviceIds: string[];
}

function rankKey(rolloutId: string, deviceId: string): string {
  return createHash('sha256')
    .update(rolloutId + deviceId)
    .digest('hex');
}

/**
 * Orders device ids by sha256(rolloutId + deviceId); duplicates are dropped.
 *
 * @example
 * hashOrder('ro-abc', ['d1', 'd2', 'd3']); // the same permutation on every call
 */
export function hashOrder(rolloutId: string, deviceIds: readonly string[]): string[] {
  const keyed = [...new Set(deviceIds)].map((id) => ({ id, key: rankKey(rolloutId, id) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  return keyed.map((k) => k.id);
}

/**
 * Number of devices the first waves reach together: ceil(percent × n / 100), the last wave all n.
 * A tiny tolerance keeps 10% of 30 at 3 despite floating point.
 */
function cumulative(percent: number, n: number): number {
  if (percent >= 100) return n;
  return Math.min(n, Math.ceil((percent * n) / 100 - 1e-9));
}

/**
 * Plans the waves of a rollout over `deviceIds` (the selected, unrevoked devices). Percentages:
 * wave i holds the first ceil(p_i × N / 100) devices of the hash order minus earlier waves (a
 * wave can be empty when N is small). Cohorts: wave i is cohort i, in hash order; every cohort
 * device must be among `deviceIds`, else `EF_HUB_ROLLOUT_COHORT_DEVICE`.
 *
 * @example
 * planWaves('ro-abc', ids, [10, 100]); // [{ index: 0, percent: 10, deviceIds: [...] }, ...]
 */
export function planWaves(
  rolloutId: string,
  deviceIds: readonly string[],
  waves: WavesSpec,
): PlannedWave[] {
  if (isCohorts(waves)) {
    const selected = new Set(deviceIds);
    const outside = waves.flat().filter((id) => !selected.has(id));
    if (outside.length > 0) {
      throw new RolloutError(
        'EF_HUB_ROLLOUT_COHORT_DEVICE',
        `cohort device(s) ${outside.slice(0, 5).join(', ')} are not enrolled, are revoked or do not match the selector`,
        { devices: outside.slice(0, 20) },
      );
    }
    return waves.map((cohort, index) => ({
      index,
      percent: null,
      deviceIds: hashOrder(rolloutId, cohort),
    }));
  }
  const order = hashOrder(rolloutId, deviceIds);
  let start = 0;
  return waves.map((percent, index) => {
    const end = Math.max(start, cumulative(percent, order.length));
    const wave = { index, percent, deviceIds: order.slice(start, end) };
    start = end;
    return wave;
  });
}
