export { createModelHost } from './model-host.js';
export { createWorkerPool } from './shared-pool.js';
export type { InferencePool, SharedPoolStats, WorkerPoolSettings } from './shared-pool.js';
export { INFERENCE_ERROR_CODES, InferenceError } from './inference-errors.js';
export type { InferenceErrorCode } from './inference-errors.js';
export type { InstalledBundle, ModelHost, ModelStats, PreparedModel } from './model-host-api.js';
export type {
  LocalModelHost,
  ModelHostOptions,
  PoolStats,
  PredictionEvent,
  ServingModel,
} from './model-host-types.js';
export type { ModelHostStats } from './model-counters.js';
export type { PredictRequest } from './predict-request.js';
export type {
  ClassPrediction,
  NestedValues,
  Prediction,
  PredictResult,
  ValuePrediction,
} from './predict-result.js';
