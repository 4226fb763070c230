/** Signed bundles, writing side: complete the manifest, sign it, write the `.efb`. */
export { BUNDLE_WRITER_ERROR_CODES, BundleWriterError } from './bundle-writer-errors.js';
export type { BundleWriterErrorCode } from './bundle-writer-errors.js';
export { completeManifest } from './complete-manifest.js';
export type { BundleExtraFile, UnsignedManifest } from './complete-manifest.js';
export { writeSignedBundle } from './write-signed-bundle.js';
export type { WriteSignedBundleInput, WrittenSignedBundle } from './write-signed-bundle.js';
