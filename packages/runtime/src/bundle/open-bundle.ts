/**
 * Reading a signed `.efb` bundle into memory and verifying it: what the hub does on upload and
 * what `edgefleet bundle verify` does.
 */
import { bundleFileNames } from '@edgefleet/protocol';
import type { Manifest, Signature } from '@edgefleet/protocol';
import { readBundleArchive } from '../bundle-archive/index.js';
import type { BundleArchiveLimits } from '../bundle-archive/index.js';
import type { BundleFileFacts } from './bundle-file-checks.js';
import { resolveTrust } from './bundle-trust.js';
import type { BundleTrust } from './bundle-trust.js';
import { verifyBundleContents } from './verify-bundle-contents.js';

/** Options of {@link openBundle}: the trust anchor plus archive caps. */
export interface OpenBundleOptions extends BundleTrust {
  /** Archive size caps; unspecified fields take the archive layer's defaults. */
  readonly limits?: Partial<BundleArchiveLimits>;
  /** Aborts reading the archive. */
  readonly signal?: AbortSignal;
}

/** A bundle whose signature and every digest have been verified. */
export interface OpenedBundle {
  /** The parsed, schema-checked manifest. */
  readonly manifest: Manifest;
  /** `manifest.json` exactly as stored: what the signature covers. */
  readonly manifestBytes: Buffer;
  /** `signature.json`, parsed. */
  readonly signature: Signature;
  /** Every file of the bundle by name, manifest.json and signature.json included. */
  readonly files: Map<string, Buffer>;
  /** Lowercase sha256 hex of the compressed `.efb` (what desired state names, [P-DS-1]). */
  readonly archiveSha256: string;
}

/** Digest and size of each file read into memory. */
function factsOf(
  files: ReadonlyMap<string, Buffer>,
  digests: ReadonlyMap<string, string>,
): Map<string, BundleFileFacts> {
  const facts = new Map<string, BundleFileFacts>();
  for (const [name, data] of files) {
    facts.set(name, { sha256: digests.get(name) ?? '', bytes: data.length });
  }
  return facts;
}

/**
 * Reads a `.efb` bundle with the hostile-input archive reader, then verifies it: the signature
 * over manifest.json as stored by a release key of the trusted keyring (or the given public key),
 * the manifest schema, every file digest and the model size, and that no file is unlisted.
 * Throws the archive layer's `EF_BUNDLE_*` codes for a damaged or hostile archive, then
 * `EF_BUNDLE_TRUST`, `EF_BUNDLE_SIGNATURE`, `EF_BUNDLE_MANIFEST`, `EF_BUNDLE_DIGEST` or
 * `EF_BUNDLE_UNLISTED_FILE`.
 *
 * @example
 * ```ts
 * const keyring = verifyKeyringChain(rootPublicKey, [keyringV1, keyringV2]);
 * const { manifest, files, archiveSha256 } = await openBundle('pump-anomaly-1.2.0.efb', { keyring });
 * const model = files.get('model.onnx'); // digest checked against the signed manifest
 * ```
 */
export async function openBundle(
  source: string | Uint8Array,
  options: OpenBundleOptions,
): Promise<OpenedBundle> {
  const trust = resolveTrust(options);
  const { files, digests, archiveSha256 } = await readBundleArchive(source, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  // The archive reader guarantees the required files (manifest, model, signature) are present.
  const manifestBytes = files.get(bundleFileNames.manifest) as Buffer;
  const signatureBytes = files.get(bundleFileNames.signature) as Buffer;
  const { manifest, signature } = verifyBundleContents(
    manifestBytes,
    signatureBytes,
    factsOf(files, digests),
    trust,
  );
  return { manifest, manifestBytes, signature, files, archiveSha256 };
}
