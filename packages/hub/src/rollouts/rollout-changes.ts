/**
 * State changes of rollouts, waves and device entries, each checked against the protocol's
 * state machines (`canTransitionRollout`, `canTransitionWave`, `canTransition`) and gathered
 * with its log events into one {@link ChangeSet}, committed in one transaction.
 */
import { canTransition, canTransitionRollout, canTransitionWave } from '@edgefleet/protocol';
import type { DeviceDeploymentState, RolloutState, WaveState } from '@edgefleet/protocol';
import { RolloutError } from './rollout-errors.js';
import type {
  DeviceEntryRecord,
  GateEvaluationRecord,
  NewRolloutEvent,
  RolloutChanges,
  RolloutReason,
  RolloutRecord,
  WaveRecord,
} from './rollout-store.js';

/** Records and events to write together; a later put of the same record replaces the earlier. */
export class ChangeSet {
  readonly #rollouts = new Map<string, RolloutRecord>();
  readonly #waves = new Map<string, WaveRecord>();
  readonly #entries = new Map<string, DeviceEntryRecord>();
  readonly #gates: GateEvaluationRecord[] = [];
  readonly #events: NewRolloutEvent[] = [];

  putRollout(r: RolloutRecord): RolloutRecord {
    this.#rollouts.set(r.id, r);
    return r;
  }

  putWave(w: WaveRecord): WaveRecord {
    this.#waves.set(`${w.rolloutId}\n${w.index}`, w);
    return w;
  }

  putEntry(e: DeviceEntryRecord): DeviceEntryRecord {
    this.#entries.set(`${e.rolloutId}\n${e.deviceId}`, e);
    return e;
  }

  putGate(g: GateEvaluationRecord): void {
    this.#gates.push(g);
  }

  event(e: NewRolloutEvent): void {
    this.#events.push(e);
  }

  get empty(): boolean {
    return (
      this.#rollouts.size +
        this.#waves.size +
        this.#entries.size +
        this.#gates.length +
        this.#events.length ===
      0
    );
  }

  toChanges(): RolloutChanges {
    return {
      rollouts: [...this.#rollouts.values()],
      waves: [...this.#waves.values()],
      entries: [...this.#entries.values()],
      gates: [...this.#gates],
      events: [...this.#events],
    };
  }
}

function refused(what: string, from: string, to: string, details: Record<string, unknown>) {
  return new RolloutError('EF_HUB_ROLLOUT_TRANSITION', `${what} cannot go from ${from} to ${to}`, {
    ...details,
    from,
    to,
  });
}

/**
 * Moves a rollout to `to`, or throws `EF_HUB_ROLLOUT_TRANSITION` when the protocol forbids it.
 *
 * @example
 * rollout = moveRollout(changes, rollout, 'paused', now, { code: 'operator', message: 'paused' });
 */
export function moveRollout(
  changes: ChangeSet,
  rollout: RolloutRecord,
  to: RolloutState,
  now: number,
  reason: RolloutReason | null,
): RolloutRecord {
  if (!canTransitionRollout(rollout.state, to)) {
    throw refused(`rollout ${rollout.id}`, rollout.state, to, { rolloutId: rollout.id });
  }
  const terminal = to === 'completed' || to === 'aborted' || to === 'rolled-back';
  const next: RolloutRecord = {
    ...rollout,
    state: to,
    updatedAt: now,
    startedAt: rollout.startedAt ?? (to === 'running' ? now : null),
    finishedAt: terminal ? now : rollout.finishedAt,
    reason,
  };
  changes.putRollout(next);
  changes.event({
    rolloutId: rollout.id,
    ts: now,
    type: 'rollout-state',
    wave: rollout.currentWave,
    data: { from: rollout.state, to, ...(reason === null ? {} : { reason }) },
  });
  return next;
}

/**
 * Moves a wave to `to` (throws `EF_HUB_ROLLOUT_TRANSITION` when forbidden).
 *
 * @example
 * wave = moveWave(changes, wave, 'soaking', now);
 */
export function moveWave(
  changes: ChangeSet,
  wave: WaveRecord,
  to: WaveState,
  now: number,
  reason: RolloutReason | null = null,
): WaveRecord {
  if (!canTransitionWave(wave.state, to)) {
    throw refused(`wave ${wave.index} of ${wave.rolloutId}`, wave.state, to, {
      rolloutId: wave.rolloutId,
      wave: wave.index,
    });
  }
  const next: WaveRecord = {
    ...wave,
    state: to,
    startedAt: to === 'running' ? now : wave.startedAt,
    soakStartedAt: to === 'soaking' ? now : wave.soakStartedAt,
    finishedAt: to === 'passed' || to === 'failed' ? now : wave.finishedAt,
    reason: reason ?? wave.reason,
  };
  changes.putWave(next);
  changes.event({
    rolloutId: wave.rolloutId,
    ts: now,
    type: 'wave-state',
    wave: wave.index,
    data: { from: wave.state, to, size: wave.size, ...(reason === null ? {} : { reason }) },
  });
  return next;
}

/**
 * Moves a device entry along `path` (from `transitionPath`), checking every step with
 * `canTransition`; records one event with the path.
 *
 * @example
 * entry = moveEntry(changes, entry, ['timed-out'], now, { reason: 'device-timeout' });
 */
export function moveEntry(
  changes: ChangeSet,
  entry: DeviceEntryRecord,
  path: readonly DeviceDeploymentState[],
  now: number,
  data: Record<string, unknown> = {},
  patch: Partial<DeviceEntryRecord> = {},
): DeviceEntryRecord {
  let state = entry.state;
  for (const step of path) {
    if (!canTransition(state, step)) {
      throw refused(`device ${entry.deviceId}`, state, step, {
        rolloutId: entry.rolloutId,
        deviceId: entry.deviceId,
      });
    }
    state = step;
  }
  const next: DeviceEntryRecord = { ...entry, ...patch, state };
  changes.putEntry(next);
  if (state !== entry.state) {
    changes.event({
      rolloutId: entry.rolloutId,
      ts: now,
      type: 'device-state',
      wave: entry.wave,
      deviceId: entry.deviceId,
      data: { from: entry.state, to: state, ...(path.length > 1 ? { via: path } : {}), ...data },
    });
  }
  return next;
}
