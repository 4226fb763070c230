/**
 * Extracting a signed bundle to disk and verifying what landed there: what the agent does
 * before it loads a model. A bundle that fails any check leaves no directory behind.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleFileNames } from '@edgefleet/protocol';
import type { Manifest, Signature } from '@edgefleet/protocol';
import { extractBundleArchive, sha256File } from '../bundle-archive/index.js';
import type { BundleArchiveLimits } from '../bundle-archive/index.js';
import { toArchiveError } from '../bundle-archive/io.js';
import type { BundleFileFacts } from './bundle-file-checks.js';
import { resolveTrust } from './bundle-trust.js';
import type { BundleTrust } from './bundle-trust.js';
import { verifyBundleContents } from './verify-bundle-contents.js';

/** Options of {@link extractVerifiedBundle}: the trust anchor plus archive caps. */
export interface ExtractVerifiedBundleOptions extends BundleTrust {
  /** Archive size caps; unspecified fields take the archive layer's defaults. */
  readonly limits?: Partial<BundleArchiveLimits>;
  /** Aborts the extraction. */
  readonly signal?: AbortSignal;
}

/** A bundle extracted to disk whose signature and every digest have been verified. */
export interface ExtractedVerifiedBundle {
  /** Absolute path of the directory holding the bundle's files. */
  readonly dir: string;
  readonly manifest: Manifest;
  /** `manifest.json` exactly as extracted: what the signature covers. */
  readonly manifestBytes: Buffer;
  readonly signature: Signature;
  /** File name -> lowercase sha256 hex, hashed from the extracted files. */
  readonly digests: Map<string, string>;
  /** Lowercase sha256 hex of the compressed `.efb`. */
  readonly archiveSha256: string;
}

/** Digest and size of every file in `dir`, read back from disk. */
async function factsOnDisk(dir: string): Promise<Map<string, BundleFileFacts>> {
  const facts = new Map<string, BundleFileFacts>();
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw toArchiveError(err, `listing ${dir}`);
  }
  for (const name of names) {
    const path = join(dir, name);
    const sha256 = await sha256File(path);
    let bytes: number;
    try {
      bytes = (await stat(path)).size;
    } catch (err) {
      throw toArchiveError(err, `reading ${path}`);
    }
    facts.set(name, { sha256, bytes });
  }
  return facts;
}

async function readExtracted(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (err) {
    throw toArchiveError(err, `reading ${join(dir, name)}`);
  }
}

/**
 * Extracts `archivePath` to the new directory `destDir` with the hostile-input extractor, then
 * verifies the extracted files as {@link openBundle} verifies an in-memory bundle: signature
 * over manifest.json as stored ([P-BD-2]), manifest schema, every digest re-hashed from disk and
 * the model size ([P-BD-3]), no unlisted file. On any verification failure `destDir` is deleted
 * before the error is thrown; a failed extraction leaves nothing either, and an existing
 * `destDir` (`EF_BUNDLE_DEST_EXISTS`) is never touched.
 *
 * @example
 * ```ts
 * const { dir, manifest } = await extractVerifiedBundle(
 *   '/var/lib/edgefleet/downloads/pump-anomaly-1.2.0.efb',
 *   '/var/lib/edgefleet/bundles/pump-anomaly-1.2.0',
 *   { keyring: trustedKeyring },
 * );
 * // load join(dir, manifest.model.file)
 * ```
 */
export async function extractVerifiedBundle(
  archivePath: string,
  destDir: string,
  options: ExtractVerifiedBundleOptions,
): Promise<ExtractedVerifiedBundle> {
  const trust = resolveTrust(options);
  const extracted = await extractBundleArchive(archivePath, destDir, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  // From here on the directory is ours: any failure removes it, so a caller never finds an
  // unverified bundle where a verified one is expected.
  try {
    const manifestBytes = await readExtracted(extracted.dir, bundleFileNames.manifest);
    const signatureBytes = await readExtracted(extracted.dir, bundleFileNames.signature);
    const facts = await factsOnDisk(extracted.dir);
    const { manifest, signature } = verifyBundleContents(
      manifestBytes,
      signatureBytes,
      facts,
      trust,
    );
    const digests = new Map([...facts].map(([name, f]) => [name, f.sha256]));
    return {
      dir: extracted.dir,
      manifest,
      manifestBytes,
      signature,
      digests,
      archiveSha256: extracted.archiveSha256,
    };
  } catch (err) {
    await rm(extracted.dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}
