import { EdgefleetError } from '@edgefleet/protocol';

/** The HTTP API's error codes and what each means (to be merged into `HUB_ERROR_CODES`). */
export const HTTP_ERROR_CODES = {
  EF_HUB_HTTP_INTERNAL:
    'The hub failed while answering an HTTP request (a bug, not bad input); the hub log holds the cause.',
  EF_HUB_HTTP_UNAUTHORIZED:
    'The request carries no credentials or wrong ones: operators send Authorization: Bearer <token>; devices (blob downloads only) send HTTP Basic auth with their id and secret.',
  EF_HUB_HTTP_NO_ROUTE: 'No HTTP API route has this path; GET /openapi.json lists every route.',
  EF_HUB_HTTP_METHOD:
    'The route exists but does not accept this HTTP method; the Allow header lists those it does.',
  EF_HUB_HTTP_BODY_TOO_LARGE:
    'The request body is larger than the route accepts (1 MiB for JSON, 512 MiB for a bundle).',
  EF_HUB_HTTP_CONTENT_TYPE:
    'The request body has the wrong Content-Type (application/json for JSON routes, application/octet-stream for bundles).',
  EF_HUB_HTTP_JSON: 'The request body is not valid UTF-8 JSON.',
  EF_HUB_HTTP_VALIDATION:
    'The request body, query string or a path parameter does not match the route schema; details name the path.',
  EF_HUB_HTTP_UNKNOWN_RELEASE: 'No published release has this name (and version).',
  EF_HUB_HTTP_UNKNOWN_DEVICE: 'No enrolled device has this id.',
  EF_HUB_HTTP_UNKNOWN_BLOB: 'The hub stores no blob with this sha256.',
  EF_HUB_HTTP_RANGE_UNSATISFIABLE:
    'The Range header starts at or beyond the end of the blob; Content-Range gives its size.',
  EF_HUB_HTTP_ABORTED: 'The client closed the connection before the request body was complete.',
  EF_HUB_HTTP_PORT_IN_USE:
    'The HTTP port is already in use (another hub?); pick another --http-port or stop the other process.',
  EF_HUB_HTTP_LISTEN: 'The HTTP API could not listen on the requested address.',
  EF_HUB_HTTP_OPTIONS: 'The HTTP API was started with invalid options (port or host).',
} as const satisfies Record<string, string>;

export type HttpErrorCode = keyof typeof HTTP_ERROR_CODES;

/**
 * An error raised by the hub's HTTP layer.
 *
 * @example
 * throw new HttpApiError('EF_HUB_HTTP_UNKNOWN_DEVICE', `no device 'press-07'`, { id: 'press-07' });
 */
export class HttpApiError extends EdgefleetError {
  declare readonly code: HttpErrorCode;

  constructor(
    code: HttpErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'HttpApiError';
  }
}
