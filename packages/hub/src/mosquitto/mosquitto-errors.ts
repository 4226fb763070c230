import { EdgefleetError } from '@edgefleet/protocol';

/** External-Mosquitto error codes and what each means (to be merged into `HUB_ERROR_CODES`). */
export const MOSQUITTO_ERROR_CODES = {
  EF_HUB_MOSQUITTO_CONFIG:
    'The Mosquitto configuration cannot be generated from these options (bad device id, secret hash, user name, port or path).',
  EF_HUB_MOSQUITTO_WRITE: 'The Mosquitto configuration files could not be written.',
  EF_HUB_MOSQUITTO_PID: 'The Mosquitto pid file is missing, unreadable or does not hold a pid.',
  EF_HUB_MOSQUITTO_NOT_RUNNING: 'No Mosquitto process runs with that pid, so it was not reloaded.',
  EF_HUB_MOSQUITTO_SIGNAL:
    'The Mosquitto process could not be sent SIGHUP (permission denied or another signal error).',
  EF_HUB_DEVICE_SECRET:
    'A device secret to hash is empty, over 1024 characters or contains NUL (Mosquitto would read a shorter secret).',
} as const satisfies Record<string, string>;

export type MosquittoErrorCode = keyof typeof MOSQUITTO_ERROR_CODES;

/** An error raised while generating or reloading an external Mosquitto's configuration. */
export class MosquittoError extends EdgefleetError {
  declare readonly code: MosquittoErrorCode;

  constructor(
    code: MosquittoErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'MosquittoError';
  }
}
