import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes of starting and running the hub process (to be merged into `HUB_ERROR_CODES`). */
export const HUB_START_ERROR_CODES = {
  EF_HUB_OPTIONS: 'The hub was started with an invalid option; the message names it.',
  EF_HUB_PORT_IN_USE:
    'The MQTT or HTTP port is already in use; use an external broker with --broker mqtt://host:port, or choose another --mqtt-port / --http-port.',
  EF_HUB_BROKER_CONNECT:
    'The hub could not connect to its MQTT broker (wrong URL, credentials, or the broker refused the hub).',
  EF_HUB_MQTT_PUBLISH:
    'The hub could not publish an MQTT message in time (the broker is unreachable); stored state is republished on reconnect.',
  EF_HUB_HTTP_START: 'The hub HTTP API could not be started.',
  EF_HUB_REVOKE_DISCONNECT:
    'The device is revoked in the store, but disconnecting it from the broker failed (external broker: the onRevoke hook failed); it is refused on its next connection.',
  EF_HUB_CLOSED: 'The hub was used after close().',
} as const satisfies Record<string, string>;

export type HubStartErrorCode = keyof typeof HUB_START_ERROR_CODES;

/** An error raised while starting, running or closing the hub. */
export class HubStartError extends EdgefleetError {
  declare readonly code: HubStartErrorCode;

  constructor(
    code: HubStartErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'HubStartError';
  }
}
