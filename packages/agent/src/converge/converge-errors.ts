import { EdgefleetError } from '@edgefleet/protocol';

/** The converger's error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const CONVERGE_ERROR_CODES = {
  EF_AGENT_SUPERSEDED:
    'A newer desired state changed this model before its install finished; the install was cancelled and the newer one proceeds.',
  EF_AGENT_BUNDLE_MISMATCH:
    "A bundle's manifest name or version, or its archive sha256, differs from what the desired state names.",
  EF_AGENT_NO_KEYRING:
    'No trusted keyring is known yet, so a bundle signature cannot be checked; a desired state carrying one must be accepted first.',
  EF_AGENT_PREPARE_FAILED:
    'Loading a bundle or running its smoke tests failed with an uncoded error; the previous model keeps serving.',
  EF_AGENT_ACTIVATE_FAILED:
    'Switching inference to a prepared bundle failed; the previous bundle was restored.',
  EF_AGENT_PROBATION_ERROR_RATE:
    'During probation the new model answered with an error rate above the threshold; it was rolled back.',
  EF_AGENT_PROBATION_CRASHES:
    'During probation the workers serving the new model crashed more often than allowed; it was rolled back.',
  EF_AGENT_PROBATION_RESTARTS:
    'The agent restarted more often than allowed while a new model was in probation; it was rolled back.',
  EF_AGENT_LOAD_FAILED:
    'An installed bundle failed to load at agent start; the previous bundle serves instead.',
  EF_AGENT_ROLLBACK_FAILED:
    'A rollback was needed but no previous bundle exists or it failed to load; the newer bundle keeps serving.',
  EF_AGENT_POINTER_INVALID:
    'A current-bundle pointer file is unreadable or malformed; it is ignored.',
  EF_AGENT_INSTALL_IO:
    'A file-system operation of the installer (bundle folders, pointer files) failed.',
  EF_AGENT_CONVERGE_OPTIONS: 'The converger was created with invalid options.',
  EF_AGENT_TRUST_INVALID:
    "The provisioned keyring does not verify against the device's root public key(s); it is ignored.",
  EF_AGENT_DESIRED_INVALID:
    'A desired-state message could not be checked for an unexpected reason.',
} as const satisfies Record<string, string>;

export type ConvergeErrorCode = keyof typeof CONVERGE_ERROR_CODES;

/** An error raised while converging to the desired state (install, probation, rollback). */
export class ConvergeError extends EdgefleetError {
  declare readonly code: ConvergeErrorCode;

  constructor(
    code: ConvergeErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'ConvergeError';
  }
}

/** `{code, message}` of any thrown value, for statuses and logs ([P-ST-1] `error`). */
export function errorInfo(
  err: unknown,
  fallback: ConvergeErrorCode = 'EF_AGENT_INSTALL_IO',
): {
  code: string;
  message: string;
} {
  if (err instanceof EdgefleetError) return { code: err.code, message: err.message.slice(0, 2048) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: fallback, message: message.slice(0, 2048) };
}

/** Wraps a file-system failure as `EF_AGENT_INSTALL_IO` (coded errors pass through). */
export function toInstallIoError(err: unknown, action: string): EdgefleetError {
  if (err instanceof EdgefleetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const errno = (err as { code?: unknown } | null)?.code;
  return new ConvergeError(
    'EF_AGENT_INSTALL_IO',
    `${action} failed: ${message}`,
    typeof errno === 'string' ? { action, errno } : { action },
    { cause: err },
  );
}
