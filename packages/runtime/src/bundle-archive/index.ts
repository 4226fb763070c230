export { ARCHIVE_ERROR_CODES, BundleArchiveError } from './archive-errors.js';
export type { ArchiveErrorCode } from './archive-errors.js';
export {
  BUNDLE_MODEL_FILE,
  DEFAULT_ALLOWED_NAMES,
  DEFAULT_BUNDLE_LIMITS,
  DEFAULT_REQUIRED_NAMES,
} from './limits.js';
export type { BundleArchiveLimits, BundleArchiveNameOptions } from './limits.js';
export { sha256File } from './io.js';
export { extractBundleArchive, readBundleArchive } from './read.js';
export type {
  BundleArchiveContents,
  ExtractedBundleArchive,
  ReadBundleArchiveOptions,
} from './read.js';
export { writeBundleArchive } from './write.js';
export type {
  BundleArchiveFile,
  WriteBundleArchiveOptions,
  WrittenBundleArchive,
} from './write.js';
