/**
 * Signed bundles, reading side: open (read + verify), inspect (read only) and extract-verified.
 * Lives in the runtime because the hub and the agent verify bundles and must not import the
 * compiler.
 */
export { BUNDLE_ERROR_CODES, BundleError } from './bundle-errors.js';
export type { BundleErrorCode } from './bundle-errors.js';
export type { BundleTrust } from './bundle-trust.js';
export { openBundle } from './open-bundle.js';
export type { OpenBundleOptions, OpenedBundle } from './open-bundle.js';
export { inspectBundle } from './inspect-bundle.js';
export type { InspectBundleOptions, InspectedBundle } from './inspect-bundle.js';
export { extractVerifiedBundle } from './extract-verified-bundle.js';
export type {
  ExtractVerifiedBundleOptions,
  ExtractedVerifiedBundle,
} from './extract-verified-bundle.js';
