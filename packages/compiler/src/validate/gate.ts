import type { DataTask } from '../data/dataset-types.js';
import { ValidateError } from './validate-errors.js';

/** Default allowed accuracy drop for classification, in percentage points. */
export const DEFAULT_MAX_ACCURACY_DROP_POINTS = 1.0;
/** Default allowed MSE growth for regression, in percent of the fp32 MSE. */
export const DEFAULT_MAX_MSE_GROWTH_PERCENT = 5;

// Metrics are ratios of counts, so a drop of exactly 1 point can compute as 1.0000000000000009;
// this slack keeps the boundary on the passing side without admitting any real difference (one
// sample in a billion).
const SLACK = 1e-9;

export interface GateOptions {
  task: DataTask;
  /** fp32 accuracy (0..1) for classification, fp32 MSE for regression. */
  fp32Metric: number;
  /** The candidate's value of the same metric. */
  candidateMetric: number;
  /**
   * Allowed loss: for classification, accuracy percentage points (default 1.0, i.e. 0.01); for
   * regression, relative MSE growth in percent (default 5).
   */
  maxDrop?: number;
}

export interface GateResult {
  passed: boolean;
  metric: 'accuracy' | 'mse';
  fp32: number;
  candidate: number;
  /** candidate - fp32, in the metric's own units (negative accuracy delta = a drop). */
  delta: number;
  /** The worst candidate value that still passes: fp32 - points/100, or fp32 * (1 + pct/100). */
  limit: number;
  /** One line for a human: both values, the change, the allowance and the verdict. */
  message: string;
}

/**
 * Decides whether a compiled model may ship: classification fails when accuracy drops by more
 * than `maxDrop` points, regression when MSE grows by more than `maxDrop` percent. A drop of
 * exactly the allowance passes. A non-finite candidate metric (a model producing NaN) fails.
 *
 * @throws ValidateError EF_COMPILE_VALIDATE_INPUT (non-finite fp32 metric, negative maxDrop).
 * @example
 * gate({ task: 'classification', fp32Metric: 0.9833, candidateMetric: 0.979 });
 * // -> { passed: true, metric: 'accuracy', delta: -0.0043, limit: 0.9733, message:
 * //      'accuracy 98.33% -> 97.90% (-0.43 points), within the allowed drop of 1.00 point: passed' }
 */
export function gate(options: GateOptions): GateResult {
  const { task, fp32Metric: fp32, candidateMetric: candidate } = options;
  const classification = task === 'classification';
  const maxDrop =
    options.maxDrop ??
    (classification ? DEFAULT_MAX_ACCURACY_DROP_POINTS : DEFAULT_MAX_MSE_GROWTH_PERCENT);
  checkInputs(fp32, maxDrop);
  return classification
    ? accuracyGate(fp32, candidate, maxDrop)
    : mseGate(fp32, candidate, maxDrop);
}

function accuracyGate(fp32: number, candidate: number, points: number): GateResult {
  const limit = fp32 - points / 100;
  const delta = candidate - fp32;
  const passed = Number.isFinite(candidate) && candidate >= limit - SLACK;
  const allowed = `${points.toFixed(2)} point${points === 1 ? '' : 's'}`;
  const change = `${pct(fp32)} -> ${pct(candidate)}`;
  const message = !Number.isFinite(candidate)
    ? `accuracy of the candidate is ${candidate}: failed`
    : passed
      ? `accuracy ${change} (${signed(delta * 100)} points), within the allowed drop of ${allowed}: passed`
      : `accuracy dropped ${(-delta * 100).toFixed(2)} points (${change}), more than the allowed ${allowed}: failed`;
  return { passed, metric: 'accuracy', fp32, candidate, delta, limit, message };
}

function mseGate(fp32: number, candidate: number, percent: number): GateResult {
  const limit = fp32 * (1 + percent / 100);
  const delta = candidate - fp32;
  const passed = Number.isFinite(candidate) && candidate <= limit + SLACK * Math.max(1, limit);
  const growth = fp32 === 0 ? (delta === 0 ? 0 : Infinity) : (delta / fp32) * 100;
  const allowed = `${percent.toFixed(1)}%`;
  const change = `${num(fp32)} -> ${num(candidate)}`;
  const message = !Number.isFinite(candidate)
    ? `MSE of the candidate is ${candidate}: failed`
    : passed
      ? `MSE ${change} (${signed(growth)}%), within the allowed growth of ${allowed}: passed`
      : `MSE grew ${growth.toFixed(2)}% (${change}), more than the allowed ${allowed}: failed`;
  return { passed, metric: 'mse', fp32, candidate, delta, limit, message };
}

function checkInputs(fp32: number, maxDrop: number): void {
  if (!Number.isFinite(fp32)) {
    throw new ValidateError(
      'EF_COMPILE_VALIDATE_INPUT',
      `the fp32 metric is ${fp32}: the reference model itself cannot be scored`,
      { fp32 },
    );
  }
  if (!Number.isFinite(maxDrop) || maxDrop < 0) {
    throw new ValidateError(
      'EF_COMPILE_VALIDATE_INPUT',
      `the allowed drop must be a finite number >= 0, got ${maxDrop}`,
      { maxDrop },
    );
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function num(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
}
