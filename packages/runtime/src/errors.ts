import { EdgefleetError } from '@edgefleet/protocol';

/** The runtime package's error codes and what each means. `docs/errors.md` lists the same. */
export const RUNTIME_ERROR_CODES = {} as const satisfies Record<string, string>;

export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES;

/** An error raised by the runtime package. */
export class RuntimeError extends EdgefleetError {
  declare readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(code, message, details, options);
    this.name = 'RuntimeError';
  }
}
