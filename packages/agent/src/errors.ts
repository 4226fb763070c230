import { EdgefleetError } from '@edgefleet/protocol';

/** The agent package's error codes and what each means. `docs/errors.md` lists the same. */
export const AGENT_ERROR_CODES = {} as const satisfies Record<string, string>;

export type AgentErrorCode = keyof typeof AGENT_ERROR_CODES;

/** An error raised by the agent package. */
export class AgentError extends EdgefleetError {
  declare readonly code: AgentErrorCode;

  constructor(
    code: AgentErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'AgentError';
  }
}
