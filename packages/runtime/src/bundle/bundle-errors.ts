import { EdgefleetError } from '@edgefleet/protocol';

/**
 * The signed-bundle layer's error codes and what each means. The archive layer below
 * (`../bundle-archive`) has its own codes for hostile or damaged archives; these are raised once
 * the archive is intact but its signature, manifest or digests do not check out.
 */
export const BUNDLE_ERROR_CODES = {
  EF_BUNDLE_SIGNATURE:
    'A bundle signature does not check out: signature.json is malformed, the signer is not an unexpired release key of the trusted keyring (or not the given public key), or the signature does not verify over manifest.json as stored; the protocol error is attached as the cause.',
  EF_BUNDLE_MANIFEST:
    'A bundle manifest.json is signed but does not match the manifest schema; the protocol error (naming the path) is attached as the cause.',
  EF_BUNDLE_DIGEST:
    'A bundle file differs from what the signed manifest says: its sha256 (or the model size) does not match, or a file the manifest lists is absent.',
  EF_BUNDLE_UNLISTED_FILE:
    'A bundle archive holds a file that the signed manifest does not list in files, so no signature covers it.',
  EF_BUNDLE_TRUST:
    'A bundle was to be verified without a trust anchor: give exactly one of a trusted keyring or a release public key.',
} as const satisfies Record<string, string>;

/** One of the {@link BUNDLE_ERROR_CODES}. */
export type BundleErrorCode = keyof typeof BUNDLE_ERROR_CODES;

/**
 * An error raised while verifying a signed bundle (signature, manifest, digests).
 *
 * @example
 * ```ts
 * try {
 *   await openBundle('release.efb', { keyring });
 * } catch (err) {
 *   if (err instanceof BundleError && err.code === 'EF_BUNDLE_SIGNATURE') {
 *     console.error('untrusted bundle:', err.details?.['reason']);
 *   }
 *   throw err;
 * }
 * ```
 */
export class BundleError extends EdgefleetError {
  declare readonly code: BundleErrorCode;

  constructor(
    code: BundleErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'BundleError';
  }
}
