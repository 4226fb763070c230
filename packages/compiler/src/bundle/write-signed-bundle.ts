/**
 * The last step of the compiler: manifest.json, signature.json, model.onnx (and report.html)
 * written as one deterministic, signed `.efb` archive.
 */
import { createPublicKey } from 'node:crypto';
import { bundleFileNames, keyIdOf, loadPrivateKey, signDocument } from '@edgefleet/protocol';
import type { Manifest, PrivateKeyInput } from '@edgefleet/protocol';
import { writeBundleArchive } from '@edgefleet/runtime';
import { completeManifest } from './complete-manifest.js';
import type { BundleExtraFile, UnsignedManifest } from './complete-manifest.js';

/** What {@link writeSignedBundle} needs. */
export interface WriteSignedBundleInput {
  /** The manifest without `files`, `model.sha256` and `model.bytes`; the writer fills them in. */
  readonly manifest: UnsignedManifest;
  /** The bytes of `model.onnx`. */
  readonly model: Uint8Array;
  /** Other files, e.g. `{ name: 'report.html', data }`; the archive layer limits the names. */
  readonly extraFiles?: readonly BundleExtraFile[];
  /** The release private key (PKCS#8 PEM or KeyObject). */
  readonly releaseKey: PrivateKeyInput;
  /** Path of the `.efb` to write; an existing file is replaced atomically. */
  readonly out: string;
}

/** What {@link writeSignedBundle} wrote. */
export interface WrittenSignedBundle {
  /** Absolute path of the bundle. */
  readonly path: string;
  /** Lowercase sha256 hex of the `.efb` (what desired state names). */
  readonly archiveSha256: string;
  /** Size of the `.efb` in bytes. */
  readonly bytes: number;
  /** Key id of the release key that signed the manifest. */
  readonly keyId: string;
  /** The complete manifest as written. */
  readonly manifest: Manifest;
}

/**
 * Serializes the manifest as it will be stored: pretty JSON for people, with a final newline.
 * The signature does not depend on this layout: it covers the canonical form of the parsed
 * JSON ([P-SG-3], [P-BD-1]), which is what the reader canonicalizes too.
 */
function manifestText(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Computes the digests, validates the complete manifest, writes `manifest.json`, signs it with
 * the release key into `signature.json` ([P-BD-1]) and writes the archive atomically (temporary
 * file, fsync, rename: no partial bundle is left on error). Ed25519 and the archive writer are
 * deterministic and entries are dated `createdAt`, so the same inputs give the same bytes.
 * Throws `EF_COMPILE_BUNDLE_MANIFEST` / `EF_COMPILE_BUNDLE_ARGUMENT` (nothing written),
 * `EF_PROTO_KEY_INVALID`, or the archive layer's `EF_BUNDLE_*` codes.
 *
 * @example
 * ```ts
 * const { path, archiveSha256, keyId } = await writeSignedBundle({
 *   manifest: draftManifest,
 *   model: await readFile('model.int8.onnx'),
 *   extraFiles: [{ name: 'report.html', data: Buffer.from(reportHtml) }],
 *   releaseKey: await readFile('keys/release.key', 'utf8'),
 *   out: 'dist/pump-anomaly-1.2.0.efb',
 * });
 * ```
 */
export async function writeSignedBundle(
  input: WriteSignedBundleInput,
): Promise<WrittenSignedBundle> {
  const key = loadPrivateKey(input.releaseKey);
  const extraFiles = input.extraFiles ?? [];
  const manifest = completeManifest(input.manifest, input.model, extraFiles);
  const manifestBytes = Buffer.from(manifestText(manifest), 'utf8');
  // Sign what a reader will parse from these bytes, not the in-memory object, so writer and
  // reader canonicalize the very same value ([P-SG-3]).
  const signature = signDocument(JSON.parse(manifestBytes.toString('utf8')), key);
  const signatureBytes = Buffer.from(`${JSON.stringify(signature, null, 2)}\n`, 'utf8');
  const written = await writeBundleArchive(
    input.out,
    [
      { name: bundleFileNames.manifest, data: manifestBytes },
      { name: bundleFileNames.model, data: input.model },
      { name: bundleFileNames.signature, data: signatureBytes },
      ...extraFiles.map((f) => ({ name: f.name, data: f.data })),
    ],
    { mtime: new Date(manifest.createdAt) },
  );
  return {
    path: written.path,
    archiveSha256: written.archiveSha256,
    bytes: written.bytes,
    keyId: keyIdOf(createPublicKey(key)),
    manifest,
  };
}
