/**
 * Quantization graph rewrites: dynamic int8 (MatMulInteger/ConvInteger) and static QDQ, producing
 * the graphs onnxruntime's Python quantizer writes.
 */
export { QUANTIZE_GRAPH_ERROR_CODES, QuantizeGraphError } from './quantize-graph-errors.js';
export type { QuantizeGraphErrorCode } from './quantize-graph-errors.js';
export {
  DEFAULT_MIN_WEIGHT_ELEMENTS,
  DYNAMIC_OP_TYPES,
  quantizeDynamic,
} from './quantize-dynamic.js';
export type {
  DynamicOpType,
  QuantizeDynamicOptions,
  QuantizeDynamicResult,
} from './quantize-dynamic.js';
export { DEFAULT_STATIC_OP_TYPES, quantizeStatic } from './quantize-static.js';
export type {
  QuantizeStaticOptions,
  QuantizeStaticReport,
  QuantizeStaticResult,
} from './quantize-static.js';
export { STATIC_OP_TYPES } from './qdq-plan.js';
export type { StaticOpType } from './qdq-plan.js';
export { augmentForCalibration, calibrateActivations } from './calibrate-activations.js';
export type {
  CalibrateOptions,
  CalibrationBatch,
  CalibrationMethod,
  CalibrationResult,
  CalibrationSource,
} from './calibrate-activations.js';
export { initializerBytes } from './quantize-report.js';
export type {
  KeptFp32Report,
  QuantizedNodeReport,
  QuantizeReport,
  WeightScheme,
} from './quantize-report.js';
