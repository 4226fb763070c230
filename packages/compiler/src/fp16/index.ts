/**
 * Float32 -> float16 conversion with a float32 interface, for devices where
 * half the model size (and, with fp16 kernels, faster compute) matters.
 */
export { convertToFloat16 } from './convert-to-float16.js';
export type {
  ConvertToFloat16Options,
  Float16Report,
  Float16Result,
  KeptFp32Node,
} from './convert-to-float16.js';
export { ALWAYS_FLOAT32_INPUTS, DEFAULT_FP16_OP_BLOCK_LIST } from './op-block-list.js';
export { FLOAT16_MAX, FLOAT16_MIN_SUBNORMAL, toFloat16Bits } from './float16-values.js';
export type { Float16Stats } from './float16-values.js';
export type { KeepFp32Reason } from './fp16-plan.js';
