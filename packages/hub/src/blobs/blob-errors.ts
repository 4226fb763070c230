import { EdgefleetError } from '@edgefleet/protocol';

/** The blob store's error codes and what each means (to be merged into `HUB_ERROR_CODES`). */
export const BLOB_ERROR_CODES = {
  EF_HUB_BLOB_INVALID_SHA: 'A blob address is not a sha256 of 64 lowercase hex digits.',
  EF_HUB_BLOB_DIGEST:
    'The bytes written to the blob store do not hash to the sha256 they were stored under; nothing was kept.',
  EF_HUB_BLOB_INVALID_RANGE: 'A byte range outside the blob was requested.',
  EF_HUB_BLOB_NOT_FOUND:
    'The requested blob is not stored on this hub (the code of a blob response error frame).',
  EF_HUB_BLOB_IO:
    'The blob store cannot read or write its files (disk full, permissions); the cause holds the system error.',
} as const satisfies Record<string, string>;

export type BlobErrorCode = keyof typeof BLOB_ERROR_CODES;

/** An error raised by the hub's content-addressed blob store. */
export class BlobError extends EdgefleetError {
  declare readonly code: BlobErrorCode;

  constructor(
    code: BlobErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'BlobError';
  }
}
