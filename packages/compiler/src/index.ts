export { CompilerError, COMPILER_ERROR_CODES } from './errors.js';
export type { CompilerErrorCode } from './errors.js';
export { OnnxError, readOnnxModel, writeOnnxModel, getModelIo } from './onnx/index.js';
export type { OnnxModel, OnnxErrorCode } from './onnx/index.js';
