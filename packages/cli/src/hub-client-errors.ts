import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes of the CLI's hub commands (to be merged into `CLI_ERROR_CODES`). */
export const HUB_CLIENT_ERROR_CODES = {
  EF_CLI_HUB_URL: 'The hub URL (--hub or EDGEFLEET_HUB) is not an http:// or https:// URL.',
  EF_CLI_HUB_UNREACHABLE:
    "The hub's HTTP API cannot be reached at the URL given (not running, wrong host or port); start one with 'edgefleet hub start' or point --hub / EDGEFLEET_HUB at it.",
  EF_CLI_HUB_TOKEN_MISSING:
    'No operator token was given: pass --token, --token-file or set EDGEFLEET_TOKEN (the hub writes it to <data>/operator.token).',
  EF_CLI_HUB_TOKEN_REFUSED: 'The hub refused the operator token (HTTP 401).',
  EF_CLI_HUB_RESPONSE:
    'The hub answered with something that is not an edgefleet API answer (a proxy error page, another service on that port, a cut connection).',
} as const satisfies Record<string, string>;

export type HubClientErrorCode = keyof typeof HUB_CLIENT_ERROR_CODES;

/**
 * An error of the CLI talking to a hub.
 *
 * @example
 * throw new HubClientError('EF_CLI_HUB_TOKEN_MISSING', 'no operator token: pass --token');
 */
export class HubClientError extends EdgefleetError {
  declare readonly code: HubClientErrorCode;

  constructor(
    code: HubClientErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'HubClientError';
  }
}

/**
 * The hub refused a request with one of its own coded errors; the CLI reports that code as is
 * (e.g. `EF_HUB_STORE_DUPLICATE_RELEASE`) so scripts match on what the hub said.
 */
export class HubRefusedError extends EdgefleetError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, `the hub refused: ${message}`, { ...details, httpStatus: status });
    this.name = 'HubRefusedError';
  }
}
