/**
 * What one device status does to one rollout entry: progress of the rollout's release, or
 * progress of the rollback deployment that returned the device to its previous release.
 */
import { canTransition } from '@edgefleet/protocol';
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import { isStale, transitionPath } from './device-progress.js';
import { moveEntry } from './rollout-changes.js';
import type { ChangeSet } from './rollout-changes.js';
import type { DeviceStatusReport } from './rollout-ports.js';
import type { DeviceEntryRecord, RolloutRecord } from './rollout-store.js';

/**
 * Applies `report` to `entry` (of `rollout`) into `changes`; returns the new entry, or
 * `undefined` when the report does not concern it or cannot follow its state (late, duplicate,
 * out of order or for an older desired state).
 *
 * @example
 * const next = applyReport(changes, rollout, entry, { model, version, state: 'healthy', ts }, now);
 */
export function applyReport(
  changes: ChangeSet,
  rollout: RolloutRecord,
  entry: DeviceEntryRecord,
  report: DeviceStatusReport,
  now: number,
): DeviceEntryRecord | undefined {
  const { release } = rollout.options;
  if (report.model !== release.name || entry.notifiedAt === null) return undefined;
  if (report.version === release.version) return applyForward(changes, entry, report, now);
  const rollback = entry.rollback;
  if (rollback?.target?.version === report.version && rollback.assignedAt !== null) {
    return applyRollback(changes, entry, report, now);
  }
  return undefined;
}

function applyForward(
  changes: ChangeSet,
  entry: DeviceEntryRecord,
  report: DeviceStatusReport,
  now: number,
): DeviceEntryRecord | undefined {
  if (isStale(report, entry.desiredVersion)) return undefined;
  const path = transitionPath(entry.state, report.state);
  if (path === null) return undefined;
  const errorCode = report.error?.code ?? (path.length === 0 ? entry.errorCode : null);
  return moveEntry(
    changes,
    entry,
    path,
    now,
    report.error === undefined ? {} : { error: report.error },
    { lastStatusAt: now, errorCode },
  );
}

function applyRollback(
  changes: ChangeSet,
  entry: DeviceEntryRecord,
  report: DeviceStatusReport,
  now: number,
): DeviceEntryRecord | undefined {
  const rollback = entry.rollback;
  if (rollback === null || isStale(report, rollback.desiredVersion)) return undefined;
  const from: DeviceDeploymentState = rollback.state ?? 'pending';
  const path = transitionPath(from, report.state);
  if (path === null) return undefined;
  const next: DeviceEntryRecord = {
    ...entry,
    rollback: {
      ...rollback,
      state: report.state,
      lastStatusAt: now,
      errorCode: report.error?.code ?? rollback.errorCode,
    },
  };
  if (report.state !== rollback.state) {
    changes.event({
      rolloutId: entry.rolloutId,
      ts: now,
      type: 'rollback-state',
      wave: entry.wave,
      deviceId: entry.deviceId,
      data: { from: rollback.state, to: report.state, version: report.version },
    });
  }
  // The device is back on its previous release: only now is this rollout's deployment on it
  // rolled back [P-ST-2] (a download that was cut short stays where it was).
  if (report.state === 'healthy' && canTransition(entry.state, 'rolled-back')) {
    return moveEntry(changes, next, ['rolled-back'], now, { reason: 'rollback' });
  }
  changes.putEntry(next);
  return next;
}
