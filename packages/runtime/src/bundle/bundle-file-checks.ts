/**
 * [P-BD-3] The files of a bundle against its signed manifest: every listed file present with
 * the listed sha256, the model's size as declared, and nothing in the archive left unlisted.
 */
import { bundleFileNames } from '@edgefleet/protocol';
import type { Manifest } from '@edgefleet/protocol';
import { BundleError } from './bundle-errors.js';

/** What is known of one file in a bundle: its digest and size as read or extracted. */
export interface BundleFileFacts {
  readonly sha256: string;
  readonly bytes: number;
}

// The two files the manifest cannot list: itself, and the signature over it ([P-BD-3]).
const SELF_COVERED: ReadonlySet<string> = new Set([
  bundleFileNames.manifest,
  bundleFileNames.signature,
]);

function digestMismatch(file: string, expected: string, actual: string | null): BundleError {
  return new BundleError(
    'EF_BUNDLE_DIGEST',
    actual === null
      ? `${file} is listed in the manifest but not in the bundle`
      : `${file} has sha256 ${actual}, the signed manifest says ${expected}`,
    { file, expected, actual },
  );
}

/**
 * Throws `EF_BUNDLE_DIGEST` when a file listed in `manifest.files` is absent or differs, or
 * `model.sha256`/`model.bytes` disagree with `model.onnx`; then `EF_BUNDLE_UNLISTED_FILE` when
 * the bundle holds a file (other than manifest.json and signature.json) the manifest does not
 * list. Call only with a manifest whose signature has been verified.
 *
 * @example
 * ```ts
 * checkBundleFiles(manifest, new Map([['model.onnx', { sha256, bytes }]]));
 * ```
 */
export function checkBundleFiles(
  manifest: Manifest,
  facts: ReadonlyMap<string, BundleFileFacts>,
): void {
  for (const [file, expected] of Object.entries(manifest.files)) {
    const actual = facts.get(file);
    if (actual?.sha256 !== expected) throw digestMismatch(file, expected, actual?.sha256 ?? null);
  }
  // The schema already ties files['model.onnx'] to model.sha256; checking both keeps this
  // function correct on its own.
  const model = facts.get(manifest.model.file);
  if (model?.sha256 !== manifest.model.sha256) {
    throw digestMismatch(manifest.model.file, manifest.model.sha256, model?.sha256 ?? null);
  }
  if (model.bytes !== manifest.model.bytes) {
    throw new BundleError(
      'EF_BUNDLE_DIGEST',
      `${manifest.model.file} is ${model.bytes} bytes, the signed manifest says ${manifest.model.bytes}`,
      {
        file: manifest.model.file,
        field: 'model.bytes',
        expected: manifest.model.bytes,
        actual: model.bytes,
      },
    );
  }
  for (const file of facts.keys()) {
    if (!SELF_COVERED.has(file) && !Object.hasOwn(manifest.files, file)) {
      throw new BundleError(
        'EF_BUNDLE_UNLISTED_FILE',
        `${file} is in the bundle but not in the signed manifest's files, so no signature covers it`,
        { file },
      );
    }
  }
}
