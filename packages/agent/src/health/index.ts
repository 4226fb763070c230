export { HEALTH_ERROR_CODES, HealthError } from './health-errors.js';
export type { HealthErrorCode } from './health-errors.js';
export { CpuSampler } from './cpu-sampler.js';
export { DEFAULT_HEALTH_INTERVAL_MS, HealthReporter, modelsFromHost } from './health-reporter.js';
export type { HealthModelInput, HealthReporterOptions, OutboxCounters } from './health-reporter.js';
export {
  DEFAULT_INFERENCE_WINDOW_MS,
  DEFAULT_LATENCY_SAMPLES,
  InferenceSummary,
} from './inference-summary.js';
export type { InferenceSample, InferenceSummaryOptions } from './inference-summary.js';
