/** The agent's version, from its package.json (the same relative path from src/ and dist/). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `@edgefleet/agent`'s version, e.g. `0.1.0`. */
export const AGENT_VERSION: string = (require('../../package.json') as { version: string }).version;
