import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes raised while comparing a candidate model with its fp32 original. */
export const VALIDATE_ERROR_CODES = {
  EF_COMPILE_VALIDATE_OUTPUT:
    'The two models cannot be compared: an output is missing, has another shape, is not numeric, or does not fit the task.',
  EF_COMPILE_VALIDATE_EMPTY: 'The evaluation produced no samples to compute metrics on.',
  EF_COMPILE_VALIDATE_INPUT:
    'A metric or gate was called with unusable arguments (arrays of different lengths, a non-finite fp32 metric, a negative allowed drop).',
} as const satisfies Record<string, string>;

/** One of the {@link VALIDATE_ERROR_CODES} keys. */
export type ValidateErrorCode = keyof typeof VALIDATE_ERROR_CODES;

/**
 * An error raised while validating a compiled model against its fp32 original.
 *
 * @example
 * if (err instanceof ValidateError && err.code === 'EF_COMPILE_VALIDATE_OUTPUT') console.error(err.message);
 */
export class ValidateError extends EdgefleetError {
  declare readonly code: ValidateErrorCode;

  constructor(
    code: ValidateErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'ValidateError';
  }
}

/** Throws EF_COMPILE_VALIDATE_INPUT unless both arrays have the same, non-zero length. */
export function assertSameLength(what: string, a: { length: number }, b: { length: number }): void {
  if (a.length !== b.length) {
    throw new ValidateError(
      'EF_COMPILE_VALIDATE_INPUT',
      `${what}: ${a.length} vs ${b.length} values; both sides need one value per sample`,
      { left: a.length, right: b.length },
    );
  }
  if (a.length === 0) {
    throw new ValidateError('EF_COMPILE_VALIDATE_EMPTY', `${what}: no samples`);
  }
}
