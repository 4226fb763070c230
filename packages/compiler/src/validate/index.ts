export { VALIDATE_ERROR_CODES, ValidateError } from './validate-errors.js';
export type { ValidateErrorCode } from './validate-errors.js';
export {
  ConfusionMatrix,
  classificationMetrics,
  confusionMatrix,
} from './classification-metrics.js';
export type { ClassMetrics, ClassificationMetrics } from './classification-metrics.js';
export { RegressionAccumulator, regressionMetrics } from './regression-metrics.js';
export type { RegressionMetrics } from './regression-metrics.js';
export { OutputDifference, maxAbsDifference, topOneAgreement } from './output-difference.js';
export type { NumericData } from './output-difference.js';
export { compareModels } from './compare-models.js';
export type { CompareModelsOptions, ComparisonBatch, ModelComparison } from './compare-models.js';
export { DEFAULT_MAX_ACCURACY_DROP_POINTS, DEFAULT_MAX_MSE_GROWTH_PERCENT, gate } from './gate.js';
export type { GateOptions, GateResult } from './gate.js';
