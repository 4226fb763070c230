import { EdgefleetError } from '@edgefleet/protocol';

/** The health reporter's error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const HEALTH_ERROR_CODES = {
  EF_AGENT_HEALTH_OPTIONS:
    'The health reporter or inference summary was given invalid options (interval, window, sink or callbacks).',
  EF_AGENT_HEALTH_COLLECT:
    'A health figure could not be read (disk statistics, model or outbox counters); the record reports zeros for it and names the failure.',
  EF_AGENT_HEALTH_RECORD:
    'A health or inference record built by the agent does not match the protocol schema, so it was not appended to the outbox.',
} as const satisfies Record<string, string>;

export type HealthErrorCode = keyof typeof HEALTH_ERROR_CODES;

/** An error raised by the agent's health reporter or inference summary. */
export class HealthError extends EdgefleetError {
  declare readonly code: HealthErrorCode;

  constructor(
    code: HealthErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'HealthError';
  }
}
