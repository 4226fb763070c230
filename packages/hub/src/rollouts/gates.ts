/**
 * Pure gate evaluation over the numbers the current wave's installed and healthy devices
 * reported since each was notified (the soak window). What each metric means:
 *
 * - `error-rate`: Σ errors / Σ requests of the new release over the wave's devices.
 * - `p95-latency` with `x`: the median over devices of p95(new) / p95(previous release on the
 *   same device, in the window before it was notified); only devices with both numbers count,
 *   and a first install (no previous release) gives no data. With `ms`: the median p95(new).
 * - `drift`: Σ drifted windows / Σ windows: the share of drift windows scored drifted.
 * - `drift-score`: the largest share of drifted features in any one window on any device
 *   (`driftedShare` of the runtime's `scoreWindow`, 0..1).
 *
 * A gate without numbers is `no-data`: it neither fails nor holds a wave back, and status shows
 * it, because an idle device cannot prove anything either way.
 */
import { gateHolds } from './gate-expressions.js';
import type { Gate } from './gate-expressions.js';
import type { WindowStats } from './rollout-ports.js';
import type { GateStatus } from './rollout-store.js';

/** One device's numbers for the new release and, when known, its previous release. */
export interface DeviceWindows {
  deviceId: string;
  current: WindowStats | null;
  previous: WindowStats | null;
}

/** A gate's value against its limit. */
export interface GateResult {
  gate: Gate;
  value: number | null;
  status: GateStatus;
  /** Devices whose numbers made the value. */
  devices: number;
}

/**
 * The median of a non-empty list (mean of the middle two for an even count).
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function measure(gate: Gate, windows: readonly DeviceWindows[]): [number | null, number] {
  const current = windows.flatMap((w) => (w.current === null ? [] : [w.current]));
  switch (gate.metric) {
    case 'error-rate': {
      const used = current.filter((c) => c.requests > 0);
      const requests = used.reduce((s, c) => s + c.requests, 0);
      const errors = used.reduce((s, c) => s + Math.min(c.errors, c.requests), 0);
      return [requests === 0 ? null : errors / requests, used.length];
    }
    case 'p95-latency': {
      if (gate.unit === 'ms') {
        const p95 = current.flatMap((c) =>
          c.requests > 0 && c.p95LatencyMs !== null ? [c.p95LatencyMs] : [],
        );
        return [p95.length === 0 ? null : median(p95), p95.length];
      }
      const ratios = windows.flatMap(({ current: c, previous: p }) =>
        c !== null &&
        p !== null &&
        c.requests > 0 &&
        p.requests > 0 &&
        c.p95LatencyMs !== null &&
        p.p95LatencyMs !== null &&
        p.p95LatencyMs > 0
          ? [c.p95LatencyMs / p.p95LatencyMs]
          : [],
      );
      return [ratios.length === 0 ? null : median(ratios), ratios.length];
    }
    case 'drift': {
      const used = current.filter((c) => c.drift.total > 0);
      const total = used.reduce((s, c) => s + c.drift.total, 0);
      const drifted = used.reduce((s, c) => s + Math.min(c.drift.drifted, c.drift.total), 0);
      return [total === 0 ? null : drifted / total, used.length];
    }
    case 'drift-score': {
      const scores = current.flatMap((c) => (c.drift.maxScore === null ? [] : [c.drift.maxScore]));
      return [scores.length === 0 ? null : Math.max(...scores), scores.length];
    }
  }
}

/**
 * Evaluates one gate.
 *
 * @example
 * evaluateGate(parseGate('error-rate<1%'), windows); // { value: 0.002, status: 'pass', devices: 5, ... }
 */
export function evaluateGate(gate: Gate, windows: readonly DeviceWindows[]): GateResult {
  const [value, devices] = measure(gate, windows);
  const status: GateStatus =
    value === null || !Number.isFinite(value)
      ? 'no-data'
      : gateHolds(gate, value)
        ? 'pass'
        : 'fail';
  return { gate, value: status === 'no-data' ? null : value, status, devices };
}

/**
 * Evaluates every gate of a rollout.
 *
 * @example
 * evaluateGates(options.gates, windows).some((r) => r.status === 'fail');
 */
export function evaluateGates(
  gates: readonly Gate[],
  windows: readonly DeviceWindows[],
): GateResult[] {
  return gates.map((g) => evaluateGate(g, windows));
}
