export { DRIFT_ERROR_CODES, DriftError } from './drift-errors.js';
export type { DriftErrorCode } from './drift-errors.js';
export { binIndex, mergeWindowCounts, MISSING_BIN, WindowCounter } from './bin-counter.js';
export type { BaselineBins, FeatureCounts, WindowCounts } from './bin-counter.js';
export {
  DEFAULT_BINS,
  histogramShares,
  MAX_BINS,
  profileFeature,
  profileOutputs,
} from './baseline-profile.js';
export type {
  FeatureProfile,
  Histogram,
  OutputProfile,
  OutputValues,
  ProfileOptions,
} from './baseline-profile.js';
export {
  binnedKs,
  driftDistances,
  jensenShannon,
  psi,
  PSI_EPSILON,
  scoreWindow,
} from './drift-scores.js';
export type {
  DriftDistances,
  FeatureDriftScore,
  PsiOptions,
  ScoredBaseline,
  WindowCountsInput,
  WindowDriftScore,
} from './drift-scores.js';
export {
  bootstrapThreshold,
  calibrationBins,
  DEFAULT_BOOTSTRAP_SAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  DEFAULT_THRESHOLD_SIGMAS,
} from './bootstrap-threshold.js';
export type { BootstrapOptions, DriftThreshold } from './bootstrap-threshold.js';
export { buildBaseline, DEFAULT_DRIFTED_SHARE } from './build-baseline.js';
export type { BuildBaselineOptions } from './build-baseline.js';
export { deriveSeed, mulberry32 } from './seeded-random.js';
export { driftFeatureNames, driftFeatureRows } from './drift-features.js';
