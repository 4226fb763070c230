export { RuntimeError, RUNTIME_ERROR_CODES } from './errors.js';
export type { RuntimeErrorCode } from './errors.js';

export {
  BUNDLE_ERROR_CODES,
  BundleError,
  extractVerifiedBundle,
  inspectBundle,
  openBundle,
} from './bundle/index.js';
export type {
  BundleErrorCode,
  BundleTrust,
  ExtractVerifiedBundleOptions,
  ExtractedVerifiedBundle,
  InspectBundleOptions,
  InspectedBundle,
  OpenBundleOptions,
  OpenedBundle,
} from './bundle/index.js';

export {
  ARCHIVE_ERROR_CODES,
  BUNDLE_MODEL_FILE,
  BundleArchiveError,
  DEFAULT_ALLOWED_NAMES,
  DEFAULT_BUNDLE_LIMITS,
  DEFAULT_REQUIRED_NAMES,
  extractBundleArchive,
  readBundleArchive,
  sha256File,
  writeBundleArchive,
} from './bundle-archive/index.js';
export type {
  ArchiveErrorCode,
  BundleArchiveContents,
  BundleArchiveFile,
  BundleArchiveLimits,
  BundleArchiveNameOptions,
  ExtractedBundleArchive,
  ReadBundleArchiveOptions,
  WriteBundleArchiveOptions,
  WrittenBundleArchive,
} from './bundle-archive/index.js';

export { PreprocessError, PREPROCESS_ERROR_CODES } from './preprocess/preprocess-errors.js';
export type { PreprocessErrorCode } from './preprocess/preprocess-errors.js';
export type {
  ImagePreprocessSpec,
  ModelInputShape,
  PreprocessedTensor,
  PreprocessSpec,
  TabularFeatureSpec,
  TabularPreprocessSpec,
  TensorPreprocessSpec,
} from './preprocess/preprocess-spec.js';
export { preprocessTabular } from './preprocess/tabular-preprocess.js';
export type { TabularRow, TabularValue } from './preprocess/tabular-preprocess.js';
export { preprocessImages } from './preprocess/image-preprocess.js';
export type { ImagePreprocessOptions } from './preprocess/image-preprocess.js';
export { preprocessTensors } from './preprocess/tensor-preprocess.js';
export type { TensorSample } from './preprocess/tensor-preprocess.js';
export { preprocessBatch } from './preprocess/preprocess-batch.js';
export type { PreprocessBatchOptions } from './preprocess/preprocess-batch.js';
export { IMAGE_PREPROCESS_POLICY, sniffImageFormat } from './preprocess/image-decode-policy.js';

export { SessionError, SESSION_ERROR_CODES } from './session/session-errors.js';
export type { SessionErrorCode } from './session/session-errors.js';
export { ModelSession } from './session/model-session.js';
export type { GraphOptimization, ModelSessionOptions } from './session/model-session-options.js';
export type {
  FeedTensor,
  ModelValueInfo,
  OutputTensor,
  TensorData,
  TensorDataType,
} from './session/tensor-types.js';
export { measureLatency, measureSessionLatency, percentile } from './session/latency.js';
export type { LatencyOptions, LatencySummary } from './session/latency.js';
export { postprocess, softmax } from './session/postprocess.js';
export type {
  ClassificationResult,
  PostprocessInput,
  PostprocessSpec,
  RegressionResult,
} from './session/postprocess.js';

export {
  DRIFT_ERROR_CODES,
  DriftError,
  binIndex,
  mergeWindowCounts,
  MISSING_BIN,
  WindowCounter,
  profileFeature,
  profileOutputs,
  binnedKs,
  driftDistances,
  jensenShannon,
  psi,
  PSI_EPSILON,
  scoreWindow,
  bootstrapThreshold,
  buildBaseline,
  DEFAULT_DRIFTED_SHARE,
  driftFeatureNames,
  driftFeatureRows,
} from './drift/index.js';
export type {
  BaselineBins,
  FeatureCounts,
  WindowCounts,
  OutputValues,
  DriftDistances,
  FeatureDriftScore,
  WindowDriftScore,
  BuildBaselineOptions,
} from './drift/index.js';
