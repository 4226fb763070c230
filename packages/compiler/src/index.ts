export { CompilerError, COMPILER_ERROR_CODES } from './errors.js';
export type { CompilerErrorCode } from './errors.js';
