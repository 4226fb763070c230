/**
 * Reading a bundle without verifying it, for `edgefleet bundle inspect`: shows what a bundle
 * claims, including who claims to have signed it, and trusts none of it.
 */
import { bundleFileNames, parseSignature } from '@edgefleet/protocol';
import type { Manifest, Signature } from '@edgefleet/protocol';
import { readBundleArchive } from '../bundle-archive/index.js';
import type { BundleArchiveLimits } from '../bundle-archive/index.js';
import { parseBundleManifest } from './verify-bundle-contents.js';

/** Options of {@link inspectBundle}. */
export interface InspectBundleOptions {
  /** Archive size caps; unspecified fields take the archive layer's defaults. */
  readonly limits?: Partial<BundleArchiveLimits>;
}

/** What a bundle claims. Nothing here is verified. */
export interface InspectedBundle {
  /** The parsed, schema-checked manifest (its signature NOT verified). */
  readonly manifest: Manifest;
  /** `manifest.json` exactly as stored. */
  readonly manifestBytes: Buffer;
  /** `signature.json` parsed, or undefined when it is not a well-formed signature. */
  readonly signature: Signature | undefined;
  /** Every file of the bundle by name. */
  readonly files: Map<string, Buffer>;
  /** File name -> lowercase sha256 hex of its bytes as read. */
  readonly digests: Map<string, string>;
  /** Lowercase sha256 hex of the compressed `.efb`. */
  readonly archiveSha256: string;
}

/**
 * Reads a bundle with the hostile-input archive reader and parses its manifest and signature
 * WITHOUT verifying the signature or the digests (use {@link openBundle} for that). Throws the
 * archive layer's codes, or `EF_BUNDLE_MANIFEST` when manifest.json does not match the schema.
 *
 * @example
 * ```ts
 * const { manifest, signature } = await inspectBundle('pump-anomaly-1.2.0.efb');
 * console.log(manifest.name, manifest.version, 'claims signer', signature?.keyId);
 * ```
 */
export async function inspectBundle(
  source: string | Uint8Array,
  options: InspectBundleOptions = {},
): Promise<InspectedBundle> {
  const { files, digests, archiveSha256 } = await readBundleArchive(
    source,
    options.limits === undefined ? {} : { limits: options.limits },
  );
  const manifestBytes = files.get(bundleFileNames.manifest) as Buffer;
  const manifest = parseBundleManifest(manifestBytes);
  let signature: Signature | undefined;
  try {
    signature = parseSignature(files.get(bundleFileNames.signature));
  } catch {
    signature = undefined; // inspecting shows a bad signature as absent; verifying refuses it
  }
  return { manifest, manifestBytes, signature, files, digests, archiveSha256 };
}
