/**
 * The one verification sequence every reader of a signed bundle runs, in memory or on disk:
 * signature, then manifest, then files. Nothing of the manifest is trusted before its signature
 * verifies.
 */
import { EdgefleetError, parseManifest } from '@edgefleet/protocol';
import type { Manifest, Signature } from '@edgefleet/protocol';
import { BundleError } from './bundle-errors.js';
import { checkBundleFiles } from './bundle-file-checks.js';
import type { BundleFileFacts } from './bundle-file-checks.js';
import { verifyManifestSignature } from './bundle-trust.js';
import type { ResolvedTrust } from './bundle-trust.js';

/** What a bundle holds once its signature and digests have checked out. */
export interface VerifiedBundleContents {
  readonly manifest: Manifest;
  readonly signature: Signature;
}

/**
 * Parses `manifest.json` (already verified or merely inspected). Throws `EF_BUNDLE_MANIFEST`
 * with the protocol error (which names the path) as cause.
 *
 * @example
 * ```ts
 * const manifest = parseBundleManifest(files.get('manifest.json')!);
 * ```
 */
export function parseBundleManifest(manifestBytes: Uint8Array): Manifest {
  try {
    return parseManifest(manifestBytes);
  } catch (err) {
    const reason = err instanceof EdgefleetError ? err.code : 'unknown';
    const message = err instanceof Error ? err.message : String(err);
    throw new BundleError(
      'EF_BUNDLE_MANIFEST',
      `bundle ${message}`,
      err instanceof EdgefleetError && err.details !== undefined
        ? { reason, ...err.details }
        : { reason },
      { cause: err },
    );
  }
}

/**
 * Verifies, in this order: the signature over `manifest.json` as stored ([P-BD-2]), the
 * manifest against its schema ([P-BD-4], [P-BD-5]), then every file against the manifest
 * ([P-BD-3]). Throws `EF_BUNDLE_SIGNATURE`, `EF_BUNDLE_MANIFEST`, `EF_BUNDLE_DIGEST` or
 * `EF_BUNDLE_UNLISTED_FILE`.
 *
 * @example
 * ```ts
 * const { manifest } = verifyBundleContents(manifestBytes, signatureBytes, facts, resolveTrust({ keyring }));
 * ```
 */
export function verifyBundleContents(
  manifestBytes: Uint8Array,
  signatureBytes: Uint8Array,
  facts: ReadonlyMap<string, BundleFileFacts>,
  trust: ResolvedTrust,
): VerifiedBundleContents {
  const signature = verifyManifestSignature(manifestBytes, signatureBytes, trust);
  const manifest = parseBundleManifest(manifestBytes);
  checkBundleFiles(manifest, facts);
  return { manifest, signature };
}
