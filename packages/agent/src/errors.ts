import { EdgefleetError } from '@edgefleet/protocol';
import { API_ERROR_CODES } from './api/api-errors.js';
import { CONVERGE_ERROR_CODES } from './converge/converge-errors.js';
import { DOWNLOAD_ERROR_CODES } from './download/download-errors.js';
import { INFERENCE_ERROR_CODES } from './inference/inference-errors.js';
import { DRIFT_MONITOR_ERROR_CODES } from './drift/drift-monitor-errors.js';
import { HEALTH_ERROR_CODES } from './health/health-errors.js';
import { JOB_ERROR_CODES } from './jobs/job-errors.js';
import { LINK_ERROR_CODES } from './link/link-errors.js';
import { OUTBOX_ERROR_CODES } from './outbox/outbox-errors.js';

/** The agent package's error codes and what each means. `docs/errors.md` lists the same. */
export const AGENT_ERROR_CODES = {
  ...HEALTH_ERROR_CODES,
  ...DRIFT_MONITOR_ERROR_CODES,
  ...JOB_ERROR_CODES,
  ...LINK_ERROR_CODES,
  ...OUTBOX_ERROR_CODES,
  ...INFERENCE_ERROR_CODES,
  ...API_ERROR_CODES,
  ...CONVERGE_ERROR_CODES,
  ...DOWNLOAD_ERROR_CODES,
  EF_AGENT_OPTIONS: 'An agent option or setting is invalid; the message names the field.',
  EF_AGENT_CONFIG: 'The device provisioning file (device.json) is missing, unreadable or invalid.',
  EF_AGENT_STATE_DIR: 'The agent state directory cannot be created or written.',
} as const satisfies Record<string, string>;

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
