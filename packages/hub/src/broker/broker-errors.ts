import { EdgefleetError } from '@edgefleet/protocol';

/** The embedded broker's error codes and what each means (to be merged into `HUB_ERROR_CODES`). */
export const BROKER_ERROR_CODES = {
  EF_HUB_BROKER_PORT_IN_USE:
    'The MQTT port is already in use; use an external broker with --broker mqtt://host:port or choose another --mqtt-port.',
  EF_HUB_BROKER_LISTEN: 'The embedded MQTT broker could not listen on the requested address.',
  EF_HUB_BROKER_OPTIONS: 'The embedded MQTT broker was given invalid options.',
  EF_HUB_BROKER_SECRET_HASH:
    'A stored device secret hash is not a Mosquitto $7$ PBKDF2-SHA512 hash, or its iteration count is out of bounds.',
} as const satisfies Record<string, string>;

export type BrokerErrorCode = keyof typeof BROKER_ERROR_CODES;

/** An error raised by the hub's embedded MQTT broker or its device credentials. */
export class BrokerError extends EdgefleetError {
  declare readonly code: BrokerErrorCode;

  constructor(
    code: BrokerErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'BrokerError';
  }
}
