/**
 * Graph simplification before quantization: BatchNorm folding, Identity and
 * Dropout removal, constant folding and dead code removal.
 */
export { simplifyModel } from './simplify-model.js';
export type { SimplifyOptions, SimplifyReport, SimplifyResult } from './simplify-model.js';
export { FOLDABLE_OP_TYPES } from './constant-folding.js';
export { SIMPLIFY_ERROR_CODES, SimplifyError } from './simplify-errors.js';
export type { SimplifyErrorCode } from './simplify-errors.js';
