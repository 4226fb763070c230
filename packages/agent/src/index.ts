export { AgentError, AGENT_ERROR_CODES } from './errors.js';
export type { AgentErrorCode } from './errors.js';
export * from './health/index.js';
export * from './drift/index.js';
export * from './jobs/index.js';
