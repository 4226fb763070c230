export { RuntimeError, RUNTIME_ERROR_CODES } from './errors.js';
export type { RuntimeErrorCode } from './errors.js';
