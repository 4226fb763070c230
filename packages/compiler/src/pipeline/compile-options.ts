import { isSemver } from '@edgefleet/protocol';
import { CompilerError } from '../errors.js';

export const QUANTIZE_MODES = ['none', 'int8', 'int8-static', 'fp16', 'auto'] as const;
export type QuantizeMode = (typeof QUANTIZE_MODES)[number];
export const CALIBRATION_METHODS = ['minmax', 'percentile', 'entropy'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];
export const TASKS = ['classification', 'regression'] as const;
export type Task = (typeof TASKS)[number];

/** What `compile()` accepts; see {@link validateCompileOptions} for defaults. */
export interface CompileOptionsInput {
  model: string;
  data: string;
  eval: string;
  out: string;
  name: string;
  version: string;
  releaseKey: string;
  quantize?: QuantizeMode;
  label?: string;
  task?: Task;
  /** Accuracy points (classification) or percent relative MSE (regression). */
  maxDrop?: number;
  calibration?: CalibrationMethod;
  perChannel?: boolean;
  /** A preprocess sidecar (`preprocess.json`); tabular and image specs. */
  preprocess?: string;
  imageSize?: { width: number; height: number };
  imageLayout?: 'nchw' | 'nhwc';
  imageMean?: [number, number, number];
  imageStd?: [number, number, number];
  /** Drift window size the baseline's thresholds are computed for. */
  windowSize?: number;
  /** Also write the HTML report to this path (it is always in the bundle as report.html). */
  report?: string;
}

export type CompileOptions = Readonly<
  Required<Omit<CompileOptionsInput, 'preprocess' | 'imageSize' | 'task' | 'maxDrop' | 'report'>>
> &
  Readonly<Pick<CompileOptionsInput, 'preprocess' | 'imageSize' | 'task' | 'maxDrop' | 'report'>>;

function bad(message: string, option: string): CompilerError {
  return new CompilerError('EF_COMPILE_OPTIONS', message, { option });
}

const NAME = /^[a-z0-9]+([-_][a-z0-9]+)*$/;

/**
 * Validates compile options once, fills defaults and freezes the result, so no later stage
 * re-checks or mutates them.
 *
 * @example
 * const opts = validateCompileOptions({ model: 'm.onnx', data: 'cal.csv', eval: 'eval.csv',
 *   out: 'm.efb', name: 'pm', version: '1.0.0', releaseKey: 'keys/release.key' });
 */
export function validateCompileOptions(input: CompileOptionsInput): CompileOptions {
  for (const key of ['model', 'data', 'eval', 'out', 'name', 'version', 'releaseKey'] as const) {
    if (typeof input[key] !== 'string' || input[key].length === 0)
      throw bad(`${key} is required`, key);
  }
  if (input.report !== undefined && (typeof input.report !== 'string' || input.report.length === 0))
    throw bad('report must be a non-empty path', 'report');
  if (!NAME.test(input.name) || input.name.length > 64) {
    throw bad(
      `name '${input.name}' must be a lowercase slug such as 'pm-classifier' (at most 64 chars)`,
      'name',
    );
  }
  if (!isSemver(input.version))
    throw bad(`version '${input.version}' is not a semantic version such as 1.2.0`, 'version');
  const quantize = input.quantize ?? 'auto';
  if (!QUANTIZE_MODES.includes(quantize))
    throw bad(`quantize must be one of ${QUANTIZE_MODES.join(', ')}`, 'quantize');
  const calibration = input.calibration ?? 'minmax';
  if (!CALIBRATION_METHODS.includes(calibration)) {
    throw bad(`calibration must be one of ${CALIBRATION_METHODS.join(', ')}`, 'calibration');
  }
  if (input.task !== undefined && !TASKS.includes(input.task))
    throw bad(`task must be one of ${TASKS.join(', ')}`, 'task');
  if (
    input.maxDrop !== undefined &&
    !(Number.isFinite(input.maxDrop) && input.maxDrop >= 0 && input.maxDrop <= 100)
  ) {
    throw bad('max-drop must be a number of points between 0 and 100', 'maxDrop');
  }
  const windowSize = input.windowSize ?? 500;
  if (!Number.isInteger(windowSize) || windowSize < 10 || windowSize > 1_000_000) {
    throw bad('window size must be an integer between 10 and 1,000,000', 'windowSize');
  }
  const imageLayout = input.imageLayout ?? 'nchw';
  if (imageLayout !== 'nchw' && imageLayout !== 'nhwc')
    throw bad('image layout must be nchw or nhwc', 'imageLayout');
  for (const key of ['imageMean', 'imageStd'] as const) {
    const v = input[key];
    if (
      v !== undefined &&
      (v.length !== 3 ||
        !v.every(Number.isFinite) ||
        (key === 'imageStd' && !v.every((x) => x > 0)))
    ) {
      throw bad(
        `${key === 'imageMean' ? 'image-mean' : 'image-std'} must be three numbers r,g,b${key === 'imageStd' ? ' above 0' : ''}`,
        key,
      );
    }
  }
  if (input.imageSize !== undefined) {
    const { width, height } = input.imageSize;
    if (![width, height].every((d) => Number.isInteger(d) && d > 0 && d <= 4096)) {
      throw bad('image-size must be <W>x<H> with whole numbers from 1 to 4096', 'imageSize');
    }
  }
  return Object.freeze({
    model: input.model,
    data: input.data,
    eval: input.eval,
    out: input.out,
    name: input.name,
    version: input.version,
    releaseKey: input.releaseKey,
    quantize,
    label: input.label ?? 'label',
    calibration,
    perChannel: input.perChannel ?? true,
    windowSize,
    imageLayout,
    imageMean: Object.freeze([...(input.imageMean ?? [0, 0, 0])]) as [number, number, number],
    imageStd: Object.freeze([...(input.imageStd ?? [1, 1, 1])]) as [number, number, number],
    ...(input.task === undefined ? {} : { task: input.task }),
    ...(input.maxDrop === undefined ? {} : { maxDrop: input.maxDrop }),
    ...(input.preprocess === undefined ? {} : { preprocess: input.preprocess }),
    ...(input.report === undefined ? {} : { report: input.report }),
    ...(input.imageSize === undefined ? {} : { imageSize: Object.freeze({ ...input.imageSize }) }),
  });
}
