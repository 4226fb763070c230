import { EdgefleetError } from '@edgefleet/protocol';
import { BUNDLE_WRITER_ERROR_CODES } from './bundle/bundle-writer-errors.js';
import { DATA_ERROR_CODES } from './data/data-errors.js';
import { ONNX_ERROR_CODES } from './onnx/onnx-errors.js';
import { QUANTIZE_ERROR_CODES } from './quantize/quantize-errors.js';
import { QUANTIZE_GRAPH_ERROR_CODES } from './quantize-graph/quantize-graph-errors.js';
import { REPORT_ERROR_CODES } from './report/report-errors.js';
import { SIMPLIFY_ERROR_CODES } from './simplify/simplify-errors.js';
import { TFJS_ERROR_CODES } from './tfjs/tfjs-errors.js';
import { VALIDATE_ERROR_CODES } from './validate/validate-errors.js';

/**
 * The compiler package's error codes and what each means: the package's own plus those of
 * its layers (ONNX read/write, quantization). `docs/errors.md` lists the same.
 */
export const COMPILER_ERROR_CODES = {
  EF_COMPILE_OPTIONS: 'A compile option is missing or invalid; the message names the option.',
  EF_COMPILE_MODEL_READ: 'The model file cannot be read (missing, unreadable).',
  EF_COMPILE_MODEL_IO:
    'The model inputs or outputs are not supported (several inputs, a non-float input, an element type bundles do not carry).',
  EF_COMPILE_TASK:
    'Classification or regression cannot be told from the model output; pass --task.',
  EF_COMPILE_PREPROCESS:
    'The preprocessing spec is unreadable, invalid, or does not fit the model input.',
  EF_COMPILE_KEY: 'The release key cannot be read or is not an Ed25519 private key.',
  EF_COMPILE_OUTPUT:
    'The bundle cannot be written at --out (its folder cannot be created or written).',
  EF_COMPILE_QUANT_MODE:
    'The requested quantization mode is not available for this model or build.',
  EF_COMPILE_GATE:
    'The quantized model lost more of its metric than --max-drop allows; nothing was signed.',
  ...ONNX_ERROR_CODES,
  ...SIMPLIFY_ERROR_CODES,
  ...QUANTIZE_ERROR_CODES,
  ...QUANTIZE_GRAPH_ERROR_CODES,
  ...REPORT_ERROR_CODES,
  ...TFJS_ERROR_CODES,
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
