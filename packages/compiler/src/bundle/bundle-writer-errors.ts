import { EdgefleetError } from '@edgefleet/protocol';

/**
 * Error codes of the signed-bundle writer, each with what it means. Archive-level failures
 * (file system, size caps) keep the runtime archive layer's `EF_BUNDLE_*` codes.
 */
export const BUNDLE_WRITER_ERROR_CODES = {
  EF_COMPILE_BUNDLE_MANIFEST:
    'The manifest to be signed does not match the manifest schema once its digests are filled in; the message names the path and the protocol error is attached as the cause. Nothing is written.',
  EF_COMPILE_BUNDLE_ARGUMENT:
    'writeSignedBundle was called with invalid arguments: empty model, an extra file named like a file the writer produces, an extra file listed twice, or a non-byte payload. Nothing is written.',
} as const satisfies Record<string, string>;

/** One of the {@link BUNDLE_WRITER_ERROR_CODES}. */
export type BundleWriterErrorCode = keyof typeof BUNDLE_WRITER_ERROR_CODES;

/**
 * An error raised by the signed-bundle writer before anything is written.
 *
 * @example
 * ```ts
 * try {
 *   await writeSignedBundle({ manifest, model, releaseKey, out: 'dist/model.efb' });
 * } catch (err) {
 *   if (err instanceof BundleWriterError && err.code === 'EF_COMPILE_BUNDLE_MANIFEST') {
 *     console.error(err.message); // "manifest: preprocess.input: not a model input"
 *   }
 *   throw err;
 * }
 * ```
 */
export class BundleWriterError extends EdgefleetError {
  declare readonly code: BundleWriterErrorCode;

  constructor(
    code: BundleWriterErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'BundleWriterError';
  }
}
