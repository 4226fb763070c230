/**
 * Pure judgement of one wave (DESIGN section 7) from its device counts and gate results.
 */
import { DEVICE_DEPLOYMENT_STATES } from '@edgefleet/protocol';
import type { DeviceDeploymentState, WaveState } from '@edgefleet/protocol';
import type { GateResult } from './gates.js';
import type { RolloutOptions } from './rollout-options.js';

/** Devices running the new release. */
export const SUCCESS_STATES: readonly DeviceDeploymentState[] = ['installed', 'healthy'];
/** Devices that count against `maxFailures`. */
export const FAILURE_STATES: readonly DeviceDeploymentState[] = [
  'failed',
  'rolled-back',
  'timed-out',
];
/** A device "reported" once it has a result: success or failure (a timeout is the hub's result). */
export const REPORTED_STATES: readonly DeviceDeploymentState[] = [
  ...SUCCESS_STATES,
  ...FAILURE_STATES,
];
/** States a device stays in unless a rollback or a late report moves it; no timeout applies. */
export const FINAL_STATES: readonly DeviceDeploymentState[] = ['healthy', ...FAILURE_STATES];

/** Device count per state. */
export type StateCounts = Record<DeviceDeploymentState, number>;

/** Zero for every state. */
export function emptyCounts(): StateCounts {
  return Object.fromEntries(DEVICE_DEPLOYMENT_STATES.map((s) => [s, 0])) as StateCounts;
}

/**
 * Counts states.
 *
 * @example
 * countStates(['healthy', 'failed', 'healthy']).healthy; // 2
 */
export function countStates(states: Iterable<DeviceDeploymentState>): StateCounts {
  const counts = emptyCounts();
  for (const s of states) counts[s] += 1;
  return counts;
}

/** The shares a wave is judged on. */
export interface WaveMetrics {
  size: number;
  reported: number;
  /** min(minReported, size): reports needed before judging. */
  needed: number;
  successes: number;
  failures: number;
  successShare: number;
  failureShare: number;
  /** Every device is in a final state. */
  ended: boolean;
}

const sum = (counts: StateCounts, states: readonly DeviceDeploymentState[]) =>
  states.reduce((s, state) => s + counts[state], 0);

/**
 * The numbers a wave is judged on.
 *
 * @example
 * waveMetrics(10, counts, 3).failureShare; // 0.1 with one failed device
 */
export function waveMetrics(size: number, counts: StateCounts, minReported: number): WaveMetrics {
  const successes = sum(counts, SUCCESS_STATES);
  const failures = sum(counts, FAILURE_STATES);
  return {
    size,
    reported: successes + failures,
    needed: Math.min(minReported, size),
    successes,
    failures,
    successShare: size === 0 ? 1 : successes / size,
    failureShare: size === 0 ? 0 : failures / size,
    ended: sum(counts, FINAL_STATES) === size,
  };
}

/** What to do with a wave. */
export type WaveDecision =
  | { kind: 'wait'; reason: 'min-reported' | 'in-progress' | 'soaking' | 'gates-pending' }
  | { kind: 'start-soak' }
  | { kind: 'pass' }
  | { kind: 'fail'; code: 'max-failures' | 'gate'; message: string }
  | { kind: 'stall'; code: 'below-min-success'; message: string };

/** Everything {@link judgeWave} looks at. */
export interface JudgeInput {
  state: WaveState;
  size: number;
  counts: StateCounts;
  soakStartedAt: number | null;
  now: number;
  options: Pick<RolloutOptions, 'maxFailures' | 'minSuccess' | 'minReported' | 'soakMs'>;
  /** Latest gate results, or null when they could not be evaluated (the wave cannot pass). */
  gates: readonly GateResult[] | null;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * Judges a running or soaking wave: nothing before `minReported` devices reported; fails above
 * `maxFailures` or on a gate breach; starts the soak clock once `minSuccess` is reached; passes
 * after the soak with every gate green; stalls (the rollout pauses) when every device is final
 * below `minSuccess`.
 *
 * @example
 * judgeWave({ state: 'soaking', size: 10, counts, soakStartedAt: t0, now: t0 + soakMs, options, gates: [] });
 * // { kind: 'pass' }
 */
export function judgeWave(input: JudgeInput): WaveDecision {
  const { options } = input;
  if (input.size === 0) return { kind: 'pass' };
  const m = waveMetrics(input.size, input.counts, options.minReported);
  if (m.reported < m.needed) return { kind: 'wait', reason: 'min-reported' };
  if (m.failureShare > options.maxFailures) {
    return {
      kind: 'fail',
      code: 'max-failures',
      message: `${m.failures} of ${m.size} devices failed, rolled back or timed out (${pct(m.failureShare)} > ${pct(options.maxFailures)})`,
    };
  }
  const breached = (input.gates ?? []).filter((g) => g.status === 'fail');
  if (breached.length > 0) {
    return {
      kind: 'fail',
      code: 'gate',
      message: breached.map((g) => `${g.gate.expression} breached (value ${g.value})`).join('; '),
    };
  }
  if (m.successShare >= options.minSuccess) {
    if (input.state === 'running') return { kind: 'start-soak' };
    const soakStart = input.soakStartedAt ?? input.now;
    if (input.now - soakStart < options.soakMs) return { kind: 'wait', reason: 'soaking' };
    return input.gates === null ? { kind: 'wait', reason: 'gates-pending' } : { kind: 'pass' };
  }
  if (m.ended) {
    return {
      kind: 'stall',
      code: 'below-min-success',
      message: `the wave ended with ${m.successes} of ${m.size} devices installed or healthy (${pct(m.successShare)} < ${pct(options.minSuccess)})`,
    };
  }
  return { kind: 'wait', reason: 'in-progress' };
}
