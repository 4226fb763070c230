/** Starting the HTTP API (`../http/`) for the hub, with the hub's port-in-use error. */
import { startHttpApi } from '../http/start-http-api.js';
import type { HttpApiOptions, RunningHttpApi } from '../http/start-http-api.js';
import { HubStartError } from './hub-start-errors.js';
import { isPortInUse, portInUse } from './port-in-use.js';

/**
 * Starts the HTTP API; `EF_HUB_PORT_IN_USE` when the port is taken, `EF_HUB_HTTP_START` for
 * other failures.
 *
 * @example
 * const http = await startHubHttp({ api, port: 8080, host: '0.0.0.0', logger,
 *   authenticateOperator, authenticateDevice });
 */
export async function startHubHttp(options: HttpApiOptions): Promise<RunningHttpApi> {
  try {
    return await startHttpApi(options);
  } catch (err) {
    if (isPortInUse(err)) throw portInUse('HTTP', options.host, options.port, err);
    throw new HubStartError(
      'EF_HUB_HTTP_START',
      `cannot start the HTTP API: ${err instanceof Error ? err.message : String(err)}`,
      { port: options.port, host: options.host },
      { cause: err },
    );
  }
}
