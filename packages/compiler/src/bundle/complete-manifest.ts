/**
 * The manifest as the compiler pipeline produces it, before the writer fills in what only the
 * final bytes determine: the model's digest and size, and the digest of every file.
 */
import { createHash } from 'node:crypto';
import { bundleFileNames, EdgefleetError, parseManifest } from '@edgefleet/protocol';
import type { Manifest } from '@edgefleet/protocol';
import { BundleWriterError } from './bundle-writer-errors.js';

/** A manifest without `files`, `model.sha256` and `model.bytes` (the writer computes them). */
export type UnsignedManifest = Omit<Manifest, 'files' | 'model'> & {
  readonly model: Omit<Manifest['model'], 'sha256' | 'bytes'>;
};

/** A file besides the model that goes into the bundle, e.g. `report.html`. */
export interface BundleExtraFile {
  readonly name: string;
  readonly data: Uint8Array;
}

// Names the writer itself produces; an extra file may not shadow them.
const RESERVED: ReadonlySet<string> = new Set([
  bundleFileNames.manifest,
  bundleFileNames.model,
  bundleFileNames.signature,
]);

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function checkExtraFiles(extraFiles: readonly BundleExtraFile[]): void {
  const seen = new Set<string>();
  for (const file of extraFiles) {
    if (typeof file?.name !== 'string' || !(file.data instanceof Uint8Array)) {
      throw new BundleWriterError(
        'EF_COMPILE_BUNDLE_ARGUMENT',
        'every extra file needs a string name and Uint8Array data',
      );
    }
    if (RESERVED.has(file.name)) {
      throw new BundleWriterError(
        'EF_COMPILE_BUNDLE_ARGUMENT',
        `extra file ${file.name} would replace a file the writer produces`,
        { file: file.name },
      );
    }
    if (seen.has(file.name)) {
      throw new BundleWriterError(
        'EF_COMPILE_BUNDLE_ARGUMENT',
        `extra file ${file.name} given twice`,
        {
          file: file.name,
        },
      );
    }
    seen.add(file.name);
  }
}

/**
 * Fills in `model.sha256`, `model.bytes` and `files` ([P-BD-3]: every file but manifest.json
 * and signature.json, model included) and validates the result with `ManifestSchema`. Values
 * the caller put in those fields are replaced. Throws `EF_COMPILE_BUNDLE_ARGUMENT` or
 * `EF_COMPILE_BUNDLE_MANIFEST` (whose message names the failing path).
 *
 * @example
 * ```ts
 * const manifest = completeManifest(draft, modelBytes, [{ name: 'report.html', data: html }]);
 * manifest.files['model.onnx'] === manifest.model.sha256; // true
 * ```
 */
export function completeManifest(
  manifest: UnsignedManifest,
  model: Uint8Array,
  extraFiles: readonly BundleExtraFile[] = [],
): Manifest {
  if (!(model instanceof Uint8Array) || model.byteLength === 0) {
    throw new BundleWriterError('EF_COMPILE_BUNDLE_ARGUMENT', 'model must be non-empty bytes');
  }
  checkExtraFiles(extraFiles);
  const modelSha256 = sha256Hex(model);
  const files: Record<string, string> = { [bundleFileNames.model]: modelSha256 };
  for (const file of [...extraFiles].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    files[file.name] = sha256Hex(file.data);
  }
  const draft = {
    ...manifest,
    model: { ...manifest.model, sha256: modelSha256, bytes: model.byteLength },
    files,
  };
  try {
    return parseManifest(draft);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new BundleWriterError(
      'EF_COMPILE_BUNDLE_MANIFEST',
      `cannot write the bundle: ${message}`,
      err instanceof EdgefleetError ? { reason: err.code, ...err.details } : undefined,
      { cause: err },
    );
  }
}
