import { EdgefleetError } from '@edgefleet/protocol';

/**
 * Error codes of the quantization graph rewrites (dynamic int8 and static QDQ), each with what it
 * means. The arithmetic below them keeps its own codes (`EF_COMPILE_QUANT_RANGE`, `_PARAMS`,
 * `_SHAPE`, `EF_COMPILE_CALIBRATION_*`), so none of these clash with those.
 */
export const QUANTIZE_GRAPH_ERROR_CODES = {
  EF_COMPILE_QUANT_NOTHING:
    'The model has no MatMul, Gemm or Conv node (of the requested op types) with a float32 initializer weight, so there is nothing to quantize.',
  EF_COMPILE_QUANT_OPSET:
    'The default-domain opset is too old for the quantized operators: dynamic quantization needs opset 11 (DynamicQuantizeLinear), static QDQ needs opset 10, and 13 for per-channel DequantizeLinear (axis attribute).',
  EF_COMPILE_QUANT_OPTIONS:
    'Quantization options are invalid (unknown op type, calibration method or quantized type, or a negative minimum weight size).',
  EF_COMPILE_QUANT_NO_CALIBRATION:
    'Static quantization was given no calibration batch, so no activation range can be measured.',
  EF_COMPILE_QUANT_CALIBRATION_INPUT:
    'A calibration batch does not feed every model input as float32 data whose length matches its dims.',
  EF_COMPILE_QUANT_CALIBRATION_RUN:
    'The calibration copy of the model could not be loaded or run by onnxruntime, or a calibrated tensor was not float32.',
  EF_COMPILE_QUANT_GRAPH:
    'The graph cannot be rewritten (a cycle, a value produced twice, or an input nothing provides).',
} as const satisfies Record<string, string>;

/** One of the {@link QUANTIZE_GRAPH_ERROR_CODES} keys. */
export type QuantizeGraphErrorCode = keyof typeof QUANTIZE_GRAPH_ERROR_CODES;

/**
 * An error raised while rewriting a model into its quantized form.
 *
 * @example
 * try {
 *   quantizeDynamic(model);
 * } catch (err) {
 *   if (err instanceof QuantizeGraphError && err.code === 'EF_COMPILE_QUANT_NOTHING') keepFloat();
 * }
 */
export class QuantizeGraphError extends EdgefleetError {
  declare readonly code: QuantizeGraphErrorCode;

  constructor(
    code: QuantizeGraphErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'QuantizeGraphError';
  }
}
