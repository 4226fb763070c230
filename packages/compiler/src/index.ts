export { CompilerError, COMPILER_ERROR_CODES } from './errors.js';
export type { CompilerErrorCode } from './errors.js';
export { OnnxError, readOnnxModel, writeOnnxModel, getModelIo } from './onnx/index.js';
export type { OnnxModel, OnnxErrorCode } from './onnx/index.js';
export { simplifyModel, SimplifyError } from './simplify/index.js';
export type { SimplifyOptions, SimplifyReport, SimplifyResult } from './simplify/index.js';
export { convertToFloat16, DEFAULT_FP16_OP_BLOCK_LIST } from './fp16/index.js';
export type { ConvertToFloat16Options, Float16Report, Float16Result } from './fp16/index.js';
export {
  BUNDLE_WRITER_ERROR_CODES,
  BundleWriterError,
  completeManifest,
  writeSignedBundle,
} from './bundle/index.js';
export type {
  BundleExtraFile,
  BundleWriterErrorCode,
  UnsignedManifest,
  WriteSignedBundleInput,
  WrittenSignedBundle,
} from './bundle/index.js';
export {
  DataError,
  DATA_ERROR_CODES,
  loadDataset,
  datasetSize,
  datasetBatches,
} from './data/index.js';
export type {
  Dataset,
  DatasetBatch,
  DatasetBatchOptions,
  LoadDatasetOptions,
} from './data/index.js';
export {
  ValidateError,
  VALIDATE_ERROR_CODES,
  classificationMetrics,
  regressionMetrics,
  compareModels,
  gate,
} from './validate/index.js';
export type {
  ClassificationMetrics,
  RegressionMetrics,
  ModelComparison,
  GateResult,
} from './validate/index.js';
export {
  compile,
  validateCompileOptions,
  QUANTIZE_MODES,
  CALIBRATION_METHODS,
  TASKS,
} from './pipeline/index.js';
export type {
  CompileHooks,
  CompileProgress,
  CompileResult,
  CompileOptions,
  CompileOptionsInput,
  QuantizeMode,
  CalibrationMethod,
  Task,
} from './pipeline/index.js';
export { quantizeDynamic, quantizeStatic, QuantizeGraphError } from './quantize-graph/index.js';
export type {
  QuantizeDynamicOptions,
  QuantizeStaticOptions,
  QuantizeReport,
  CalibrationSource,
} from './quantize-graph/index.js';
export {
  renderCompileReport,
  compileReportJson,
  writeReportFile,
  ReportError,
  REPORT_ERROR_CODES,
} from './report/index.js';
export type { CompileReportExtras, CompileReportInput, CompileReportJson } from './report/index.js';
export { convertLayersModel, readLayersModel, TfjsError, TFJS_ERROR_CODES } from './tfjs/index.js';
export type { LayersConversionReport, LayersConversionResult } from './tfjs/index.js';
