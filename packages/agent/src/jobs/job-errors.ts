import { EdgefleetError } from '@edgefleet/protocol';

/** Scheduled jobs' error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const JOB_ERROR_CODES = {
  EF_AGENT_JOB_SPEC:
    'A scheduled job definition is invalid (name, cron schedule, model, source or sink); the message names the field.',
  EF_AGENT_JOB_UNKNOWN: 'No scheduled job has that name.',
  EF_AGENT_JOB_SOURCE:
    "A job's source could not be read (CSV file unreadable); nothing was consumed and the next run retries.",
  EF_AGENT_JOB_HEADER:
    "A job's CSV header is empty, repeats a column or lacks a feature the model needs; no row is consumed until it is fixed.",
  EF_AGENT_JOB_PREDICT:
    "Predicting a job's rows failed or returned the wrong number of results; those rows stay unconsumed and the next run retries them.",
  EF_AGENT_JOB_SINK:
    "A job's results could not be written to its sink (file not writable, broker not connected or not acknowledging); the rows stay unconsumed and the next run retries them.",
  EF_AGENT_JOB_STATE:
    "A job's saved read position could not be read or written; a damaged one is discarded and the job reads its source from the start.",
  EF_AGENT_JOB_STOPPED: 'The job runner was stopped, so the job cannot run.',
} as const satisfies Record<string, string>;

export type JobErrorCode = keyof typeof JOB_ERROR_CODES;

/** An error raised by the agent's scheduled inference jobs. */
export class JobError extends EdgefleetError {
  declare readonly code: JobErrorCode;

  constructor(
    code: JobErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'JobError';
  }
}
