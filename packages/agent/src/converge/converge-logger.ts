/** The converger logs through the agent's shared logger shape (pino fits it). */
import type { AgentLogger } from '../link/agent-link-api.js';

export type ConvergeLogger = AgentLogger;

export { silentLogger } from '../link/agent-link-api.js';
