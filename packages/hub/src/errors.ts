import { EdgefleetError } from '@edgefleet/protocol';
import { BROKER_ERROR_CODES } from './broker/broker-errors.js';
import { BLOB_ERROR_CODES } from './blobs/blob-errors.js';
import { DESIRED_ERROR_CODES } from './desired/desired-errors.js';
import { HTTP_ERROR_CODES } from './http/http-errors.js';
import { HUB_START_ERROR_CODES } from './hub/hub-start-errors.js';
import { KEY_ERROR_CODES } from './keys/key-errors.js';
import { MOSQUITTO_ERROR_CODES } from './mosquitto/mosquitto-errors.js';
import { RELEASE_ERROR_CODES } from './releases/release-errors.js';
import { ROLLOUT_ERROR_CODES } from './rollouts/rollout-errors.js';
import { STORAGE_ERROR_CODES } from './storage/storage-errors.js';

/** The hub package's error codes and what each means. `docs/errors.md` lists the same. */
export const HUB_ERROR_CODES = {
  ...STORAGE_ERROR_CODES,
  ...BROKER_ERROR_CODES,
  ...HUB_START_ERROR_CODES,
  ...HTTP_ERROR_CODES,
  ...BLOB_ERROR_CODES,
  ...RELEASE_ERROR_CODES,
  ...KEY_ERROR_CODES,
  ...DESIRED_ERROR_CODES,
  ...ROLLOUT_ERROR_CODES,
  ...MOSQUITTO_ERROR_CODES,
} as const satisfies Record<string, string>;

export type HubErrorCode = keyof typeof HUB_ERROR_CODES;

/** An error raised by the hub package. */
export class HubError extends EdgefleetError {
  declare readonly code: HubErrorCode;

  constructor(
    code: HubErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'HubError';
  }
}
