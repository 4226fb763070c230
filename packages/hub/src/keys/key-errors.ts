import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes of the hub's keys and operator token (to be merged into `HUB_ERROR_CODES`). */
export const KEY_ERROR_CODES = {
  EF_HUB_KEYS_READ:
    'A key, keyring or operator-token file of the hub cannot be read or parsed; the cause holds the error.',
  EF_HUB_KEYS_WRITE:
    'The hub cannot write its generated keys or operator token into the data directory.',
  EF_HUB_KEYS_INCOMPLETE:
    'The hub keys directory exists but lacks keyring.json or deploy.key; restore them or start with --keyring and --deploy-key.',
  EF_HUB_KEYS_OPTIONS:
    'A keyring was given without a deploy key or the other way round; give both --keyring and --deploy-key, or neither.',
  EF_HUB_KEYS_KEYRING:
    'The hub keyring is not signed by one of its own root keys, does not verify, or has expired.',
  EF_HUB_KEYS_DEPLOY_ROLE:
    'The deploy key is not an unexpired deploy-role key of the hub keyring, so devices would refuse what it signs.',
} as const satisfies Record<string, string>;

export type KeyErrorCode = keyof typeof KEY_ERROR_CODES;

/** An error raised while loading or creating the hub's keys or operator token. */
export class KeyError extends EdgefleetError {
  declare readonly code: KeyErrorCode;

  constructor(
    code: KeyErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'KeyError';
  }
}
