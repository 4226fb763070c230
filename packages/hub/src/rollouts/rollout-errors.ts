import { EdgefleetError } from '@edgefleet/protocol';

/** The rollout engine's error codes and what each means (to be merged into `HUB_ERROR_CODES`). */
export const ROLLOUT_ERROR_CODES = {
  EF_HUB_ROLLOUT_OPTIONS:
    'The rollout options are not an object, name an unknown option or miss a required one (release, selector, waves, soak).',
  EF_HUB_ROLLOUT_RELEASE:
    'The rollout release is not name@version with a model name slug and a SemVer 2.0.0 version.',
  EF_HUB_ROLLOUT_SELECTOR:
    'The rollout selector is not k=v pairs separated by commas (or an object of string tags) with valid tag keys.',
  EF_HUB_ROLLOUT_WAVES:
    'The rollout waves are neither ascending percentages ending at 100 (e.g. 1,10,50,100) nor non-empty cohorts of distinct device ids.',
  EF_HUB_ROLLOUT_SOAK: 'The soak time is not a duration like 10m, 30s or 500ms.',
  EF_HUB_ROLLOUT_MAX_FAILURES:
    'The failure threshold is not a share between 0 and 1 (written 5% or 0.05).',
  EF_HUB_ROLLOUT_MIN_SUCCESS:
    'The success threshold is not a share between 0 and 1 (written 95% or 0.95).',
  EF_HUB_ROLLOUT_MIN_REPORTED: 'The minimum number of reported devices is not a positive integer.',
  EF_HUB_ROLLOUT_GATE:
    'A gate is not one of error-rate<N%, p95-latency<Nx, p95-latency<Nms, drift<N or drift-score<N with a limit in range.',
  EF_HUB_ROLLOUT_RATE:
    'The notification rate is not a positive count per minute like 100/min, 5/s or 600/h.',
  EF_HUB_ROLLOUT_ON_FAILURE: 'The failure action is neither pause nor rollback.',
  EF_HUB_ROLLOUT_DEVICE_TIMEOUT: 'The device timeout is not a positive duration like 30m.',
  EF_HUB_ROLLOUT_UNKNOWN: 'No rollout has this id.',
  EF_HUB_ROLLOUT_TRANSITION:
    'The rollout cannot make this transition from its current state (e.g. resume a running rollout or abort a completed one).',
  EF_HUB_ROLLOUT_NO_DEVICES: 'No enrolled, unrevoked device matches the rollout selector.',
  EF_HUB_ROLLOUT_COHORT_DEVICE:
    'A device named in an explicit cohort is not enrolled, is revoked or does not match the selector.',
  EF_HUB_ROLLOUT_UNKNOWN_RELEASE: 'The release to roll out has not been published to the hub.',
  EF_HUB_ROLLOUT_CONFLICT:
    'Another running or paused rollout of the same model already targets some of the selected devices.',
  EF_HUB_ROLLOUT_ASSIGN:
    'Publishing a desired state for a device failed without a coded error; the device counts as failed.',
  EF_HUB_ROLLOUT_STATUS:
    'A device status given to the rollout engine is malformed (unknown state, missing model or version).',
  EF_HUB_ROLLOUT_STORE_SCHEMA:
    'The rollout tables were written by a newer hub (their schema version is above the versions this hub knows).',
  EF_HUB_ROLLOUT_STORE_CLOSED: 'The rollout store was used after it was closed.',
  EF_HUB_ROLLOUT_STORE_IO:
    'The rollout database cannot be opened, read or written (disk full, read-only, locked, corrupt or not a database); the cause holds the SQLite error.',
  EF_HUB_ROLLOUT_STORE_DATA:
    'A stored rollout row cannot be read back (corrupt options, unknown state or invalid JSON).',
} as const satisfies Record<string, string>;

/** One of the {@link ROLLOUT_ERROR_CODES}. */
export type RolloutErrorCode = keyof typeof ROLLOUT_ERROR_CODES;

/**
 * An error raised by the rollout engine, its options parser or its store.
 *
 * @example
 * throw new RolloutError('EF_HUB_ROLLOUT_UNKNOWN', `no rollout ${id}`, { rolloutId: id });
 */
export class RolloutError extends EdgefleetError {
  declare readonly code: RolloutErrorCode;

  constructor(
    code: RolloutErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'RolloutError';
  }
}
