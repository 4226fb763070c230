import {
  batchExtremes,
  calibrationEmpty,
  type CalibrationRange,
  type Calibrator,
} from './calibration-data.js';
import { pairwiseSumFloat32 } from './float32-sum.js';
import { f32 } from './round.js';

/** Options of {@link MinMaxCalibrator} (onnxruntime `MinMaxCalibrater` / `CalibTensorRange*`). */
export interface MinMaxCalibratorOptions {
  /** Return [-absmax, absmax] (onnxruntime `symmetric` / `CalibTensorRangeSymmetric`). Default false. */
  readonly symmetric?: boolean;
  /**
   * Average the per-batch minima and maxima instead of taking the global extremes (onnxruntime
   * `moving_average` / `CalibMovingAverage`). Within one `collect_data` pass onnxruntime takes
   * `np.nanmean` of the per-batch ReduceMin/ReduceMax outputs (its `averaging_constant` only
   * mixes separate passes), so this is the float32 mean of the batch extremes. Default false.
   */
  readonly movingAverage?: boolean;
}

/**
 * Min/max calibration: the range is the smallest and largest value seen (or the mean of the
 * per-batch extremes with `movingAverage`). Memory is O(1) (two numbers per batch with
 * `movingAverage`, to reproduce numpy's float32 pairwise mean exactly), never the samples.
 *
 * @example
 * const cal = new MinMaxCalibrator();
 * cal.collect(new Float32Array([0.5, -2]));
 * cal.collect(new Float32Array([3]));
 * cal.computeRange(); // { rmin: -2, rmax: 3 }
 */
export class MinMaxCalibrator implements Calibrator {
  private readonly symmetric: boolean;
  private readonly movingAverage: boolean;
  private min = Infinity;
  private max = -Infinity;
  private readonly batchMins: number[] = [];
  private readonly batchMaxs: number[] = [];
  private batches = 0;

  constructor(options: MinMaxCalibratorOptions = {}) {
    this.symmetric = options.symmetric ?? false;
    this.movingAverage = options.movingAverage ?? false;
  }

  collect(tensor: Float32Array): void {
    if (tensor.length === 0) return;
    const { min, max } = batchExtremes(tensor);
    this.batches += 1;
    if (this.movingAverage) {
      this.batchMins.push(min);
      this.batchMaxs.push(max);
    }
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  computeRange(): CalibrationRange {
    if (this.batches === 0) throw calibrationEmpty('MinMaxCalibrator');
    let rmin = this.min;
    let rmax = this.max;
    if (this.movingAverage) {
      // np.nanmean on float32: pairwise float32 sum, then divided by the count (float64, rounded).
      rmin = f32(pairwiseSumFloat32(this.batchMins) / this.batches);
      rmax = f32(pairwiseSumFloat32(this.batchMaxs) / this.batches);
    }
    if (this.symmetric) {
      const absmax = Math.max(Math.abs(rmin), Math.abs(rmax));
      return { rmin: -absmax, rmax: absmax };
    }
    return { rmin, rmax };
  }
}
