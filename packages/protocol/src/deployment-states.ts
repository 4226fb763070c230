/**
 * The state machines of DESIGN section 7: device deployments, rollouts and waves.
 */

/** A device's progress through one deployment (one executionId). */
export const DEVICE_DEPLOYMENT_STATES = [
  'pending',
  'notified',
  'downloading',
  'verified',
  'installed',
  'healthy',
  'failed',
  'rolled-back',
  'timed-out',
] as const;
export type DeviceDeploymentState = (typeof DEVICE_DEPLOYMENT_STATES)[number];

/** A rollout's lifecycle. */
export const ROLLOUT_STATES = [
  'draft',
  'running',
  'paused',
  'completed',
  'aborted',
  'rolled-back',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** A wave's lifecycle. */
export const WAVE_STATES = ['scheduled', 'running', 'soaking', 'passed', 'failed'] as const;
export type WaveState = (typeof WAVE_STATES)[number];

/**
 * [P-ST-2] Allowed device transitions. `downloading -> downloading` carries progress. `timed-out`
 * is set by the hub; a late report from the device may still settle it. `healthy` and `failed`
 * can become `rolled-back` when the rollout (or the agent's probation) rolls back.
 */
export const DEVICE_TRANSITIONS: Readonly<
  Record<DeviceDeploymentState, readonly DeviceDeploymentState[]>
> = {
  pending: ['notified', 'downloading', 'failed', 'timed-out'],
  notified: ['downloading', 'failed', 'timed-out'],
  downloading: ['downloading', 'verified', 'failed', 'timed-out'],
  verified: ['installed', 'failed', 'rolled-back', 'timed-out'],
  installed: ['healthy', 'failed', 'rolled-back', 'timed-out'],
  healthy: ['rolled-back'],
  failed: ['rolled-back'],
  'rolled-back': [],
  'timed-out': ['healthy', 'failed', 'rolled-back'],
};

/** Allowed rollout transitions: draft -> running <-> paused -> completed | aborted | rolled-back. */
export const ROLLOUT_TRANSITIONS: Readonly<Record<RolloutState, readonly RolloutState[]>> = {
  draft: ['running', 'aborted'],
  running: ['paused', 'completed', 'aborted', 'rolled-back'],
  paused: ['running', 'aborted', 'rolled-back'],
  completed: ['rolled-back'],
  aborted: ['rolled-back'],
  'rolled-back': [],
};

/** Allowed wave transitions: scheduled -> running -> soaking -> passed | failed. */
export const WAVE_TRANSITIONS: Readonly<Record<WaveState, readonly WaveState[]>> = {
  scheduled: ['running'],
  running: ['soaking', 'failed'],
  soaking: ['passed', 'failed'],
  passed: [],
  failed: [],
};

function allowed<S extends string>(
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
): boolean {
  return Object.hasOwn(table, from) && table[from].includes(to);
}

/**
 * True when a device deployment may move from `from` to `to`.
 *
 * @example
 * canTransition('downloading', 'verified'); // true
 * canTransition('healthy', 'downloading'); // false: a new deployment has a new executionId
 */
export function canTransition(from: DeviceDeploymentState, to: DeviceDeploymentState): boolean {
  return allowed(DEVICE_TRANSITIONS, from, to);
}

/**
 * True when a rollout may move from `from` to `to`.
 *
 * @example
 * canTransitionRollout('paused', 'running'); // true
 */
export function canTransitionRollout(from: RolloutState, to: RolloutState): boolean {
  return allowed(ROLLOUT_TRANSITIONS, from, to);
}

/**
 * True when a wave may move from `from` to `to`.
 *
 * @example
 * canTransitionWave('soaking', 'passed'); // true
 */
export function canTransitionWave(from: WaveState, to: WaveState): boolean {
  return allowed(WAVE_TRANSITIONS, from, to);
}
