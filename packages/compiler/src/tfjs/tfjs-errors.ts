import { EdgefleetError } from '@edgefleet/protocol';

/**
 * Error codes of the TF.js Layers reader and converter, each with what it means. Kept next to
 * the converter (not in `../errors.ts`) so the package catalogue can spread them in one place.
 */
export const TFJS_ERROR_CODES = {
  EF_COMPILE_TFJS_READ: 'The TF.js model.json or one of its weight files cannot be read.',
  EF_COMPILE_TFJS_FORMAT:
    'The model.json is not a TF.js Layers model (malformed JSON, missing modelTopology or weightsManifest, bad field types).',
  EF_COMPILE_TFJS_TOO_LARGE: 'The model.json or its weights exceed the size caps of the reader.',
  EF_COMPILE_TFJS_WEIGHT_PATH:
    'A weight shard path is absolute or leaves the folder of model.json.',
  EF_COMPILE_TFJS_WEIGHT_DTYPE:
    'A weight is not plain float32 (another dtype or a quantized weight); only float32 weights are converted.',
  EF_COMPILE_TFJS_WEIGHTS:
    'The weight shards do not match the manifest (wrong byte size, bad shape, duplicate or missing weight).',
  EF_COMPILE_TFJS_TOPOLOGY:
    'The layer graph is inconsistent (unknown inbound layer, a cycle, a bad input or output reference).',
  EF_COMPILE_TFJS_UNSUPPORTED_LAYER:
    'A layer class has no ONNX converter; the message names the layer, its class and the argument class_name.',
  EF_COMPILE_TFJS_UNSUPPORTED_ARGUMENT:
    'A layer argument has a value the converter does not translate exactly; the message names the layer, its class and the argument.',
} as const satisfies Record<string, string>;

/** One of the {@link TFJS_ERROR_CODES} keys. */
export type TfjsErrorCode = keyof typeof TFJS_ERROR_CODES;

/**
 * An error raised while reading or converting a TF.js Layers model. Every failure surfaces as a
 * `TfjsError` with a stable code, never as a raw exception from JSON.parse or the file system.
 *
 * @example
 * try {
 *   convertLayersModel('model.json');
 * } catch (err) {
 *   if (err instanceof TfjsError && err.code === 'EF_COMPILE_TFJS_UNSUPPORTED_LAYER') console.error(err.details);
 * }
 */
export class TfjsError extends EdgefleetError {
  declare readonly code: TfjsErrorCode;

  constructor(
    code: TfjsErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'TfjsError';
  }
}

/**
 * Argument error for a layer: names the layer, its class and the argument, as the contract asks.
 *
 * @example
 * throw unsupportedArgument({ name: 'up', className: 'UpSampling2D' }, 'interpolation', 'bilinear');
 */
export function unsupportedArgument(
  layer: { name: string; className: string },
  argument: string,
  value: unknown,
): TfjsError {
  return new TfjsError(
    'EF_COMPILE_TFJS_UNSUPPORTED_ARGUMENT',
    `layer '${layer.name}' (${layer.className}): argument ${argument}=${JSON.stringify(value)} is not supported`,
    { layer: layer.name, className: layer.className, argument, value },
  );
}
