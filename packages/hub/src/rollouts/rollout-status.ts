/**
 * The view behind `edgefleet rollout status [--watch]`: waves, device counts by state, gate
 * values against their limits and the timestamps that explain what the rollout waits for.
 */
import type { RolloutOptions } from './rollout-options.js';
import type {
  DeviceEntryRecord,
  GateEvaluationRecord,
  RolloutRecord,
  WaveRecord,
} from './rollout-store.js';
import { countStates, waveMetrics } from './wave-judge.js';
import type { StateCounts, WaveMetrics } from './wave-judge.js';

/** One gate of one wave, as last evaluated. */
export interface GateView {
  gate: string;
  value: number | null;
  limit: number;
  status: GateEvaluationRecord['status'] | 'not-evaluated';
  devices: number;
  evaluatedAt: number | null;
}

/** One wave. */
export interface WaveStatusView extends WaveRecord {
  counts: StateCounts;
  metrics: WaveMetrics;
  /** Time left before the soak is over (null when not soaking). */
  soakRemainingMs: number | null;
  gates: GateView[];
}

/** Progress of a rollback over the devices it touched. */
export interface RollbackView {
  requested: number;
  /** Desired states published. */
  assigned: number;
  /** Devices that reported the previous release healthy (or had the model removed). */
  done: number;
  failed: number;
}

/** Everything `rollout status` shows. */
export interface RolloutStatusView {
  rollout: RolloutRecord;
  now: number;
  thresholds: Pick<RolloutOptions, 'maxFailures' | 'minSuccess' | 'minReported' | 'soakMs'>;
  devices: { total: number; notified: number; counts: StateCounts };
  waves: WaveStatusView[];
  rollback: RollbackView | null;
}

function rollbackView(entries: readonly DeviceEntryRecord[]): RollbackView | null {
  const rolled = entries.flatMap((e) => (e.rollback === null ? [] : [e.rollback]));
  if (rolled.length === 0) return null;
  return {
    requested: rolled.length,
    assigned: rolled.filter((r) => r.assignedAt !== null).length,
    done: rolled.filter(
      (r) => r.state === 'healthy' || (r.target === null && r.assignedAt !== null),
    ).length,
    failed: rolled.filter((r) => r.state === 'failed' || r.state === 'rolled-back').length,
  };
}

/**
 * Builds the status view from stored records.
 *
 * @example
 * const view = buildStatusView(rollout, waves, entries, gates, clock.now());
 */
export function buildStatusView(
  rollout: RolloutRecord,
  waves: readonly WaveRecord[],
  entries: readonly DeviceEntryRecord[],
  gates: readonly GateEvaluationRecord[],
  now: number,
): RolloutStatusView {
  const { options } = rollout;
  return {
    rollout,
    now,
    thresholds: {
      maxFailures: options.maxFailures,
      minSuccess: options.minSuccess,
      minReported: options.minReported,
      soakMs: options.soakMs,
    },
    devices: {
      total: entries.length,
      notified: entries.filter((e) => e.notifiedAt !== null).length,
      counts: countStates(entries.map((e) => e.state)),
    },
    waves: waves.map((wave) => {
      const counts = countStates(entries.filter((e) => e.wave === wave.index).map((e) => e.state));
      const evaluated = new Map(
        gates.filter((g) => g.wave === wave.index).map((g) => [g.gate, g] as const),
      );
      return {
        ...wave,
        counts,
        metrics: waveMetrics(wave.size, counts, options.minReported),
        soakRemainingMs:
          wave.state === 'soaking' && wave.soakStartedAt !== null
            ? Math.max(0, wave.soakStartedAt + options.soakMs - now)
            : null,
        gates: options.gates.map((gate): GateView => {
          const g = evaluated.get(gate.expression);
          return g === undefined
            ? {
                gate: gate.expression,
                value: null,
                limit: gate.limit,
                status: 'not-evaluated',
                devices: 0,
                evaluatedAt: null,
              }
            : {
                gate: g.gate,
                value: g.value,
                limit: g.limit,
                status: g.status,
                devices: g.devices,
                evaluatedAt: g.evaluatedAt,
              };
        }),
      };
    }),
    rollback: rollbackView(entries),
  };
}
