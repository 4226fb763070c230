import { EdgefleetError } from '@edgefleet/protocol';

/** The agent's inference error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const INFERENCE_ERROR_CODES = {
  EF_AGENT_BUSY:
    'The inference queue is full (too many requests waiting for a worker); retry a little later.',
  EF_AGENT_WORKER_CRASHED:
    'The inference worker thread running the request died; it was replaced and the request was not answered.',
  EF_AGENT_WORKER_START: 'An inference worker thread could not be started.',
  EF_AGENT_HOST_CLOSED: 'The model host is closed (the agent is shutting down).',
  EF_AGENT_HOST_OPTIONS:
    'The model host was given invalid options (worker count, queue limit, row cap).',
  EF_AGENT_MODEL_LOAD:
    "A bundle's model could not be loaded in the inference workers, or its inputs and outputs do not match the manifest.",
  EF_AGENT_SMOKE_TEST:
    "A bundle's smoke test gave outputs outside its tolerance on this device; the bundle was not switched to.",
  EF_AGENT_MODEL_NOT_FOUND: 'No model with that name is serving.',
  EF_AGENT_MODEL_NOT_PREPARED:
    'activate() was given a model this host did not prepare, or one already activated or discarded.',
  EF_AGENT_REQUEST_INVALID:
    'A prediction request is not one of the accepted forms ({"inputs": [[...]]}, {"instances": [{...}]} or image bytes), or does not fit the model kind.',
  EF_AGENT_REQUEST_ROWS: 'A prediction request has no rows or more rows than the per-request cap.',
  EF_AGENT_REQUEST_FEATURES:
    'An instance names features the bundle does not have, or lacks features that have no impute value; the message lists them.',
} as const satisfies Record<string, string>;

export type InferenceErrorCode = keyof typeof INFERENCE_ERROR_CODES;

/** An error raised by the agent's model host or its worker pool. */
export class InferenceError extends EdgefleetError {
  declare readonly code: InferenceErrorCode;

  constructor(
    code: InferenceErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'InferenceError';
  }
}
