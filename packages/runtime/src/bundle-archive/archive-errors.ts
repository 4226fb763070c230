import { EdgefleetError } from '@edgefleet/protocol';

/**
 * The bundle archive layer's error codes and what each means. Every rejection of a hostile or
 * damaged `.efb` archive carries one of these codes; `details` names the entry and the rule.
 */
export const ARCHIVE_ERROR_CODES = {
  EF_BUNDLE_PATH_UNSAFE:
    'An archive entry name is unsafe: absolute, contains "..", a backslash, a control or non-ASCII character, a subdirectory (bundles are flat), or conflicting long-name headers.',
  EF_BUNDLE_ENTRY_TYPE:
    'An archive entry is not a regular file (directory, symlink, hardlink, device, fifo, sparse, volume label, ...) or uses an extended header the reader does not accept.',
  EF_BUNDLE_TOO_LARGE:
    'A bundle exceeds a size cap: a file (per-file cap), the decompressed archive (total cap, gzip bomb) or the compressed archive.',
  EF_BUNDLE_TOO_MANY_ENTRIES: 'A bundle archive holds more headers than the entry-count cap.',
  EF_BUNDLE_CORRUPT:
    'A bundle archive is not valid gzip or tar: empty, not gzip, truncated, bad checksum, malformed header or extended header, missing end-of-archive marker, or data after it.',
  EF_BUNDLE_DUPLICATE: 'A bundle archive holds the same file name twice.',
  EF_BUNDLE_UNEXPECTED_FILE: 'A bundle archive holds a file whose name is not in the allowed set.',
  EF_BUNDLE_MISSING_FILE:
    'A bundle archive lacks a required file (manifest.json, model.onnx, signature.json).',
  EF_BUNDLE_DEST_EXISTS: 'The extraction destination directory already exists.',
  EF_BUNDLE_IO:
    'Reading the archive or writing the bundle/extraction failed at the file system level (the cause is attached).',
  EF_BUNDLE_ARGUMENT:
    'A bundle archive function was called with invalid arguments (bad limits, unsafe allowed names, ...).',
} as const satisfies Record<string, string>;

/** One of the {@link ARCHIVE_ERROR_CODES}. */
export type ArchiveErrorCode = keyof typeof ARCHIVE_ERROR_CODES;

/**
 * An error raised by the bundle archive layer (writing, reading or extracting `.efb` files).
 *
 * @example
 * ```ts
 * try {
 *   await extractBundleArchive('release.efb', '/var/lib/edgefleet/bundles/42');
 * } catch (err) {
 *   if (err instanceof BundleArchiveError && err.code === 'EF_BUNDLE_PATH_UNSAFE') {
 *     console.error('hostile bundle', err.details);
 *   }
 *   throw err;
 * }
 * ```
 */
export class BundleArchiveError extends EdgefleetError {
  declare readonly code: ArchiveErrorCode;

  constructor(
    code: ArchiveErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'BundleArchiveError';
  }
}
