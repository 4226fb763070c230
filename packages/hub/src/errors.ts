import { EdgefleetError } from '@edgefleet/protocol';
import { BROKER_ERROR_CODES } from './broker/broker-errors.js';
import { STORAGE_ERROR_CODES } from './storage/storage-errors.js';

/** The hub package's error codes and what each means. `docs/errors.md` lists the same. */
export const HUB_ERROR_CODES = {
  ...STORAGE_ERROR_CODES,
  ...BROKER_ERROR_CODES,
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
