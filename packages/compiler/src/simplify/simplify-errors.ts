import { EdgefleetError } from '@edgefleet/protocol';

/**
 * Error codes of the graph simplifier and the fp16 converter, each with what it
 * means. Kept here (not in `../errors.ts`) so both passes can be wired into the
 * package's error catalogue in one place later.
 */
export const SIMPLIFY_ERROR_CODES = {
  EF_COMPILE_SIMPLIFY_OPTIONS: 'An option passed to simplifyModel has the wrong type or range.',
  EF_COMPILE_SIMPLIFY_GRAPH:
    'The graph cannot be simplified because it is structurally invalid (a cycle, a value produced twice, an input nothing provides).',
  EF_COMPILE_FP16_OPTIONS:
    'An option passed to convertToFloat16 has the wrong type or an unsupported value.',
  EF_COMPILE_FP16_GRAPH:
    'The graph cannot be converted to float16 because it is structurally invalid (a cycle, a value produced twice, an input nothing provides).',
  EF_COMPILE_FP16_OPSET:
    'The model imports a default-domain opset older than 6, whose Cast takes a string type that the converter does not write.',
  EF_COMPILE_FP16_EXTERNAL_DATA:
    'A float32 initializer keeps its data in an external file; load the data into the model before converting it to float16.',
} as const satisfies Record<string, string>;

/** One of the {@link SIMPLIFY_ERROR_CODES} keys. */
export type SimplifyErrorCode = keyof typeof SIMPLIFY_ERROR_CODES;

/**
 * An error raised by `simplifyModel` or `convertToFloat16`.
 *
 * @example
 * try {
 *   convertToFloat16(model, { keepIoFloat32: true });
 * } catch (err) {
 *   if (err instanceof SimplifyError && err.code === 'EF_COMPILE_FP16_EXTERNAL_DATA') console.error('inline the weights first');
 * }
 */
export class SimplifyError extends EdgefleetError {
  declare readonly code: SimplifyErrorCode;

  constructor(
    code: SimplifyErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'SimplifyError';
  }
}
