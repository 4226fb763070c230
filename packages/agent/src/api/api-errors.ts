import { EdgefleetError } from '@edgefleet/protocol';

/** The local API's error codes and what each means (to be merged into `AGENT_ERROR_CODES`). */
export const API_ERROR_CODES = {
  EF_AGENT_API_NOT_FOUND: 'The local API has no such route (see GET /v1/models for model names).',
  EF_AGENT_API_METHOD: 'The route exists but does not take this HTTP method.',
  EF_AGENT_API_BODY_TOO_LARGE: 'The request body is larger than the local API accepts.',
  EF_AGENT_API_JSON: 'The request body is not valid JSON.',
  EF_AGENT_API_CONTENT_TYPE:
    'The request body type is not accepted: send application/json, image/jpeg or image/png.',
  EF_AGENT_API_LISTEN:
    'The local API could not listen on its port or unix socket (in use, no permission, not a socket).',
  EF_AGENT_API_OPTIONS: 'The local API was given invalid options.',
  EF_AGENT_API_INTERNAL:
    'The local API failed unexpectedly while answering; the agent keeps running.',
} as const satisfies Record<string, string>;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** An error raised by the agent's local HTTP API. */
export class ApiError extends EdgefleetError {
  declare readonly code: ApiErrorCode;

  constructor(
    code: ApiErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'ApiError';
  }
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  EF_AGENT_API_NOT_FOUND: 404,
  EF_AGENT_MODEL_NOT_FOUND: 404,
  EF_AGENT_API_METHOD: 405,
  EF_AGENT_API_BODY_TOO_LARGE: 413,
  EF_RUNTIME_IMAGE_TOO_LARGE: 413,
  EF_AGENT_API_CONTENT_TYPE: 415,
  EF_AGENT_BUSY: 503,
  EF_AGENT_HOST_CLOSED: 503,
};

// The caller's input was wrong: the request shape, a value, a feature, an image.
const BAD_REQUEST = /^EF_(AGENT_API_JSON|AGENT_REQUEST_|RUNTIME_(INPUT|FEATURE|FEED|IMAGE)_)/;

/**
 * The HTTP status for a coded error: 400 for bad input, 404 unknown route or model, 413 too
 * large, 503 busy or shutting down, 500 for everything else (a crash, a model failure).
 *
 * @example
 * httpStatusOf('EF_AGENT_BUSY'); // 503
 */
export function httpStatusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? (BAD_REQUEST.test(code) ? 400 : 500);
}
