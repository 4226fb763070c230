export { CompilerError, COMPILER_ERROR_CODES } from './errors.js';
export type { CompilerErrorCode } from './errors.js';
export { OnnxError, readOnnxModel, writeOnnxModel, getModelIo } from './onnx/index.js';
export type { OnnxModel, OnnxErrorCode } from './onnx/index.js';
export { simplifyModel, SimplifyError } from './simplify/index.js';
export type { SimplifyOptions, SimplifyReport, SimplifyResult } from './simplify/index.js';
export { convertToFloat16, DEFAULT_FP16_OP_BLOCK_LIST } from './fp16/index.js';
export type { ConvertToFloat16Options, Float16Report, Float16Result } from './fp16/index.js';
