import { EdgefleetError } from '@edgefleet/protocol';
import { BUNDLE_WRITER_ERROR_CODES } from './bundle/bundle-writer-errors.js';
import { DATA_ERROR_CODES } from './data/data-errors.js';
import { ONNX_ERROR_CODES } from './onnx/onnx-errors.js';
import { QUANTIZE_ERROR_CODES } from './quantize/quantize-errors.js';
import { SIMPLIFY_ERROR_CODES } from './simplify/simplify-errors.js';
import { VALIDATE_ERROR_CODES } from './validate/validate-errors.js';

/**
 * The compiler package's error codes and what each means: the package's own plus those of
 * its layers (ONNX read/write, quantization). `docs/errors.md` lists the same.
 */
export const COMPILER_ERROR_CODES = {
  ...ONNX_ERROR_CODES,
  ...SIMPLIFY_ERROR_CODES,
  ...QUANTIZE_ERROR_CODES,
  ...BUNDLE_WRITER_ERROR_CODES,
  ...DATA_ERROR_CODES,
  ...VALIDATE_ERROR_CODES,
} as const satisfies Record<string, string>;

export type CompilerErrorCode = keyof typeof COMPILER_ERROR_CODES;

/** An error raised by the compiler pipeline itself. */
export class CompilerError extends EdgefleetError {
  declare readonly code: CompilerErrorCode;

  constructor(
    code: CompilerErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'CompilerError';
  }
}
