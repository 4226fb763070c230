import { EdgefleetError } from '@edgefleet/protocol';

/** Codes raised while profiling a drift baseline, counting windows and scoring them. */
export const DRIFT_ERROR_CODES = {
  EF_RUNTIME_DRIFT_OPTIONS:
    'A drift option is out of range (bins, window size, bootstrap samples, sigmas, drifted share, epsilon) or feature names are empty or repeated.',
  EF_RUNTIME_DRIFT_VALUES:
    'Calibration values are unusable: a value is infinite, or a predicted class is not an integer class index.',
  EF_RUNTIME_DRIFT_EMPTY:
    'A feature or output has no usable calibration values (the list is empty or every value is NaN).',
  EF_RUNTIME_DRIFT_SHAPE:
    'Counts, shares or rows do not match the baseline (a row has the wrong number of features, a feature has the wrong number of bins, names differ).',
  EF_RUNTIME_DRIFT_BASELINE:
    'The profiled baseline does not pass the protocol BaselineSchema (e.g. a mean that overflows to infinity).',
} as const satisfies Record<string, string>;

export type DriftErrorCode = keyof typeof DRIFT_ERROR_CODES;

/** A drift baseline that cannot be profiled, or counts that do not fit their baseline. */
export class DriftError extends EdgefleetError {
  declare readonly code: DriftErrorCode;

  constructor(
    code: DriftErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'DriftError';
  }
}
