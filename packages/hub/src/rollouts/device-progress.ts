/**
 * Applying device statuses to rollout entries. Statuses can arrive late, twice or out of order
 * (QoS 1, an agent's outbox after an outage, a catch-up read after a restart), so a report
 * moves an entry only along transitions the protocol allows [P-ST-2].
 */
import { canTransition, DEVICE_DEPLOYMENT_STATES } from '@edgefleet/protocol';
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import type { DeviceStatusReport } from './rollout-ports.js';
import { RolloutError } from './rollout-errors.js';

// Only the happy path may be walked through silently: a report of `healthy` after `notified`
// means the device went through downloading, verified and installed, not through a timeout.
const INTERMEDIATE: ReadonlySet<DeviceDeploymentState> = new Set([
  'notified',
  'downloading',
  'verified',
  'installed',
]);

/**
 * The states an entry passes to go from `from` to `to` (ending with `to`), each step allowed by
 * `canTransition`; `[]` for a repeated report; `null` when `to` cannot follow `from`.
 *
 * @example
 * transitionPath('notified', 'installed'); // ['downloading', 'verified', 'installed']
 * transitionPath('healthy', 'downloading'); // null
 */
export function transitionPath(
  from: DeviceDeploymentState,
  to: DeviceDeploymentState,
): DeviceDeploymentState[] | null {
  if (from === to) return [];
  const previous = new Map<DeviceDeploymentState, DeviceDeploymentState>();
  const queue: DeviceDeploymentState[] = [from];
  while (queue.length > 0) {
    const state = queue.shift() as DeviceDeploymentState;
    for (const next of DEVICE_DEPLOYMENT_STATES) {
      if (next === from || previous.has(next) || !canTransition(state, next)) continue;
      previous.set(next, state);
      if (next === to) {
        const path: DeviceDeploymentState[] = [to];
        for (let s = state; s !== from; s = previous.get(s) as DeviceDeploymentState)
          path.unshift(s);
        return path;
      }
      if (INTERMEDIATE.has(next)) queue.push(next);
    }
  }
  return null;
}

/**
 * Checks a status handed to the engine (the hub passes parsed protocol statuses, but bad input
 * must be a coded error, never a crash). Throws `EF_HUB_ROLLOUT_STATUS`.
 *
 * @example
 * checkStatusReport({ model: 'pm-mlp', version: '1.1.0', state: 'healthy', ts: Date.now() });
 */
export function checkStatusReport(input: unknown): DeviceStatusReport {
  const bad = (why: string) => new RolloutError('EF_HUB_ROLLOUT_STATUS', `device status: ${why}`);
  if (typeof input !== 'object' || input === null) throw bad('not an object');
  const s = input as Record<string, unknown>;
  if (typeof s.model !== 'string' || s.model === '') throw bad('model missing');
  if (typeof s.version !== 'string' || s.version === '') throw bad('version missing');
  if (!(DEVICE_DEPLOYMENT_STATES as readonly unknown[]).includes(s.state)) {
    throw bad(`unknown state ${JSON.stringify(String(s.state).slice(0, 32))}`);
  }
  if (typeof s.ts !== 'number' && typeof s.ts !== 'string') throw bad('ts missing');
  if (s.desiredVersion !== undefined && !Number.isSafeInteger(s.desiredVersion)) {
    throw bad('desiredVersion is not an integer');
  }
  const error = s.error as Record<string, unknown> | undefined;
  if (
    error !== undefined &&
    (typeof error !== 'object' || error === null || typeof error.code !== 'string')
  ) {
    throw bad('error without a code');
  }
  return s as unknown as DeviceStatusReport;
}

/** A status is stale when it belongs to an older desired-state document than the one sent. */
export function isStale(report: DeviceStatusReport, sentVersion: number | null): boolean {
  return (
    sentVersion !== null &&
    report.desiredVersion !== undefined &&
    report.desiredVersion < sentVersion
  );
}
