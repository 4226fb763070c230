import { EdgefleetError } from '@edgefleet/protocol';

/** Error codes of the hub's storage layer, each with what it means. */
export const STORAGE_ERROR_CODES = {
  EF_HUB_STORE_DUPLICATE_RELEASE:
    'A release with the same name and version (SemVer precedence) is already stored; the first one is kept.',
  EF_HUB_STORE_DUPLICATE_DEVICE: 'A device with the same id is already enrolled.',
  EF_HUB_STORE_UNKNOWN_DEVICE: 'The device id is not enrolled in the hub store.',
  EF_HUB_STORE_ARGUMENT:
    'A hub store method was called with an invalid argument (device id, tag, version, digest, sequence number or timestamp).',
  EF_HUB_STORE_DESIRED_VERSION:
    'A desired-state envelope was stored with a version not issued by nextDesiredVersion or not above the stored one.',
  EF_HUB_STORE_SCHEMA:
    'The database was written by a newer hub (its schema version is above the versions this hub knows).',
  EF_HUB_STORE_CLOSED: 'The hub store was used after it was closed.',
  EF_HUB_STORE_IO:
    'The database file cannot be opened, read or written (disk full, read-only, locked, corrupt or not a database); the cause holds the SQLite error.',
} as const satisfies Record<string, string>;

/** One of the {@link STORAGE_ERROR_CODES}. */
export type StorageErrorCode = keyof typeof STORAGE_ERROR_CODES;

/**
 * An error raised by a {@link HubStore} implementation.
 *
 * @example
 * try {
 *   await store.addRelease(release);
 * } catch (err) {
 *   if (err instanceof StorageError && err.code === 'EF_HUB_STORE_DUPLICATE_RELEASE') reject(err);
 * }
 */
export class StorageError extends EdgefleetError {
  declare readonly code: StorageErrorCode;

  constructor(
    code: StorageErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'StorageError';
  }
}
