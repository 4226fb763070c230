import { EdgefleetError } from '@edgefleet/protocol';

/** Codes raised while turning raw inputs into model tensors, and what each means. */
export const PREPROCESS_ERROR_CODES = {
  EF_RUNTIME_INPUT_SHAPE:
    'An input has the wrong shape: wrong row length, wrong tensor dims, ragged arrays or an empty batch.',
  EF_RUNTIME_INPUT_TYPE:
    'An input value has the wrong type: a non-numeric string, a boolean, an object where a number or an image buffer was expected.',
  EF_RUNTIME_INPUT_NAN:
    'A value is missing, null, empty or NaN and its feature has no impute value, or a value is infinite.',
  EF_RUNTIME_FEATURE_MISSING:
    'A record-style tabular row lacks a feature that has no impute value.',
  EF_RUNTIME_IMAGE_DECODE:
    'Image bytes are empty, not JPEG/PNG/WebP, or corrupt (decoding failed).',
  EF_RUNTIME_IMAGE_TOO_LARGE:
    'An image has more pixels (width x height) than the configured limit.',
  EF_RUNTIME_PREPROCESS_SPEC:
    'The preprocessing spec itself is unusable (e.g. mean/std length differs from channels, non-finite scale).',
} as const satisfies Record<string, string>;

export type PreprocessErrorCode = keyof typeof PREPROCESS_ERROR_CODES;

/** An input (or spec) that preprocessing cannot turn into a tensor. */
export class PreprocessError extends EdgefleetError {
  declare readonly code: PreprocessErrorCode;

  constructor(
    code: PreprocessErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'PreprocessError';
  }
}
