import { EdgefleetError } from '@edgefleet/protocol';

/**
 * Error codes raised by the ONNX read/write layer, each with what it means.
 * Kept here (not in `../errors.ts`) so the ONNX layer can be wired into the
 * package's error catalogue in one place later.
 */
export const ONNX_ERROR_CODES = {
  EF_COMPILE_ONNX_EMPTY: 'The ONNX model bytes are empty (zero length).',
  EF_COMPILE_ONNX_TOO_LARGE:
    'The ONNX model, or a tensor inside it, is larger than the configured size cap.',
  EF_COMPILE_ONNX_PARSE:
    'The bytes are not a valid protobuf encoding (bad wire type, malformed varint, nesting too deep).',
  EF_COMPILE_ONNX_TRUNCATED:
    'The protobuf data ends in the middle of a field: the file is truncated or a length is corrupt.',
  EF_COMPILE_ONNX_NOT_A_MODEL:
    'The bytes decode as protobuf but not as an ONNX ModelProto (no graph, no ir_version or no opset_import).',
  EF_COMPILE_ONNX_ENCODE:
    'The in-memory model cannot be encoded (a field has the wrong JavaScript type or range).',
  EF_COMPILE_ONNX_TENSOR_DATA:
    "A tensor's data is inconsistent with its dims/data_type (wrong byte length, missing data, negative dims).",
  EF_COMPILE_ONNX_UNSUPPORTED_DTYPE: 'The tensor element type is not supported by this operation.',
  EF_COMPILE_ONNX_EXTERNAL_DATA:
    'A tensor keeps its data in an external file and no base directory was given, or the external file cannot be read safely.',
  EF_COMPILE_ONNX_ATTRIBUTE: 'A node attribute is missing or has a different type than requested.',
  EF_COMPILE_ONNX_INT64_RANGE:
    'An int64 value does not fit in a JavaScript number without losing precision.',
  EF_COMPILE_ONNX_GRAPH:
    'The graph is structurally invalid (a node uses a value before it is produced, a cycle, a duplicate output).',
} as const satisfies Record<string, string>;

/** One of the {@link ONNX_ERROR_CODES} keys. */
export type OnnxErrorCode = keyof typeof ONNX_ERROR_CODES;

/**
 * An error raised by the ONNX read/write layer. Every failure of this layer
 * surfaces as an `OnnxError` with a stable `code`, never as a raw exception
 * from protobufjs or the file system.
 *
 * @example
 * try {
 *   readOnnxModel(bytes);
 * } catch (err) {
 *   if (err instanceof OnnxError && err.code === 'EF_COMPILE_ONNX_TRUNCATED') console.error('re-download the model');
 * }
 */
export class OnnxError extends EdgefleetError {
  declare readonly code: OnnxErrorCode;

  constructor(
    code: OnnxErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'OnnxError';
  }
}
