import { EdgefleetError } from '@edgefleet/protocol';
import { ARCHIVE_ERROR_CODES } from './bundle-archive/archive-errors.js';
import { BUNDLE_ERROR_CODES } from './bundle/bundle-errors.js';
import { DRIFT_ERROR_CODES } from './drift/drift-errors.js';
import { PREPROCESS_ERROR_CODES } from './preprocess/preprocess-errors.js';
import { SESSION_ERROR_CODES } from './session/session-errors.js';

/**
 * The runtime package's error codes and what each means: bundle archives (hostile input),
 * preprocessing (bad user data),
 * sessions (code and model disagree, onnxruntime failures). `docs/errors.md` lists the same.
 */
export const RUNTIME_ERROR_CODES = {
  ...ARCHIVE_ERROR_CODES,
  ...BUNDLE_ERROR_CODES,
  ...DRIFT_ERROR_CODES,
  ...PREPROCESS_ERROR_CODES,
  ...SESSION_ERROR_CODES,
} as const satisfies Record<string, string>;

export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES;

/** An error raised by the runtime package outside its layers' own error classes. */
export class RuntimeError extends EdgefleetError {
  declare readonly code: RuntimeErrorCode;

  constructor(
    code: RuntimeErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'RuntimeError';
  }
}
