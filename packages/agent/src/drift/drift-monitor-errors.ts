import { EdgefleetError } from '@edgefleet/protocol';

/** The drift monitor's error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const DRIFT_MONITOR_ERROR_CODES = {
  EF_AGENT_DRIFT_OPTIONS:
    'The drift monitor was given invalid options (window row count, time cap or minimum scored rows).',
  EF_AGENT_DRIFT_BASELINE:
    "A model's drift baseline does not fit its preprocessing (feature names or count differ), so the monitor cannot count its inputs.",
  EF_AGENT_DRIFT_INPUT:
    "Inputs or outputs given to the drift monitor do not fit the model's baseline (row width, output class, tensor for a tabular model); the batch was not counted.",
  EF_AGENT_DRIFT_CHECKPOINT:
    'The drift monitor could not read or write its open-window checkpoint; the open windows start afresh.',
} as const satisfies Record<string, string>;

export type DriftMonitorErrorCode = keyof typeof DRIFT_MONITOR_ERROR_CODES;

/** An error raised by the agent's drift monitor. */
export class DriftMonitorError extends EdgefleetError {
  declare readonly code: DriftMonitorErrorCode;

  constructor(
    code: DriftMonitorErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'DriftMonitorError';
  }
}
