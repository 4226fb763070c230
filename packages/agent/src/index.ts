export { AgentError, AGENT_ERROR_CODES } from './errors.js';
export type { AgentErrorCode } from './errors.js';
