export { compile } from './compile.js';
export type { CompileHooks, CompileProgress, CompileResult } from './compile.js';
export {
  validateCompileOptions,
  QUANTIZE_MODES,
  CALIBRATION_METHODS,
  TASKS,
} from './compile-options.js';
export type {
  CompileOptions,
  CompileOptionsInput,
  QuantizeMode,
  CalibrationMethod,
  Task,
} from './compile-options.js';
