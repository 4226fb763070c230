/**
 * The device side of drift ([P-BD-6], [P-TL-1]): put live inputs and outputs into the
 * baseline's bins and count them per window. Counts are plain integers per bin, so windows
 * collected while offline combine by addition ({@link mergeWindowCounts}).
 */
import { DriftError } from './drift-errors.js';

/** What {@link binIndex} returns for NaN: missing values are counted apart, never in a bin. */
export const MISSING_BIN = -1;

/**
 * The bin of `x` for interior edges `edges` (strictly increasing), [P-BD-6]: bin 0 is
 * `x < edges[0]` (underflow), bin i is `edges[i-1] <= x < edges[i]`, the last bin
 * (`edges.length`) is `x >= edges[last]` (overflow). A value equal to an edge goes to the upper
 * bin. -Infinity and +Infinity land in the first and last bins; NaN gives {@link MISSING_BIN}.
 * Binary search: O(log bins).
 *
 * @example
 * binIndex([1, 2, 3], 0.5); // 0 (underflow)
 * binIndex([1, 2, 3], 2); // 2 (an edge goes up)
 * binIndex([1, 2, 3], 9); // 3 (overflow)
 * binIndex([1, 2, 3], NaN); // -1 (missing)
 */
export function binIndex(edges: ArrayLike<number>, x: number): number {
  if (Number.isNaN(x)) return MISSING_BIN;
  // Upper bound: the number of edges <= x, which is exactly the bin index.
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One feature's counts in a window: one count per baseline bin, plus NaN inputs apart. */
export interface FeatureCounts {
  name: string;
  counts: number[];
  missing: number;
}

/**
 * A window's counts, shaped like the telemetry drift record's `count`, `features` and `output`
 * ([P-TL-1]; `missing` is an extra field the loose record keeps).
 */
export interface WindowCounts {
  /** Rows counted. */
  count: number;
  features: FeatureCounts[];
  /** Output counts: per class for `classes` outputs, per bin for `histogram` outputs. */
  output: { counts: number[]; missing: number };
}

/** The parts of a baseline the counter needs; the protocol's `Baseline` fits. */
export interface BaselineBins {
  windowSize: number;
  features: readonly { name: string; edges: readonly number[] }[];
  output:
    | { kind: 'classes'; shares: readonly number[] }
    | { kind: 'histogram'; edges: readonly number[] };
}

/**
 * Adds two windows' counts (same baseline), e.g. windows collected offline. Addition is
 * associative and commutative, so any grouping of the same rows gives the same counts.
 *
 * @example
 * const merged = mergeWindowCounts(morning, afternoon);
 * merged.count === morning.count + afternoon.count; // true
 */
export function mergeWindowCounts(a: WindowCounts, b: WindowCounts): WindowCounts {
  if (a.features.length !== b.features.length) {
    throw new DriftError('EF_RUNTIME_DRIFT_SHAPE', 'windows have different feature counts', {
      a: a.features.length,
      b: b.features.length,
    });
  }
  const features = a.features.map((fa, i) => {
    const fb = b.features[i] as FeatureCounts;
    if (fa.name !== fb.name) {
      throw new DriftError('EF_RUNTIME_DRIFT_SHAPE', `feature ${i} is named differently`, {
        a: fa.name,
        b: fb.name,
      });
    }
    return {
      name: fa.name,
      counts: addCounts(fa.counts, fb.counts, fa.name),
      missing: fa.missing + fb.missing,
    };
  });
  return {
    count: a.count + b.count,
    features,
    output: {
      counts: addCounts(a.output.counts, b.output.counts, 'output'),
      missing: a.output.missing + b.output.missing,
    },
  };
}

function addCounts(a: readonly number[], b: readonly number[], what: string): number[] {
  if (a.length !== b.length) {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_SHAPE',
      `${what} has ${a.length} bins in one window and ${b.length} in the other`,
      {
        name: what,
        a: a.length,
        b: b.length,
      },
    );
  }
  return a.map((x, i) => x + (b[i] as number));
}

/**
 * Counts rows into a baseline's bins for one window. The caller closes a window, by count
 * ({@link WindowCounter.full}, reached at the baseline's `windowSize`) or by time: it takes a
 * {@link WindowCounter.snapshot} and calls {@link WindowCounter.reset}. Rows hold the raw
 * feature values (before scaling) in the baseline's feature order.
 *
 * @example
 * const counter = new WindowCounter(manifest.baseline);
 * counter.addRows([[0, 1, 0, 300.1, 310.2, 1500, 40, 12]], [0]);
 * if (counter.full) {
 *   const window = counter.snapshot();
 *   counter.reset();
 *   report(window, scoreWindow(manifest.baseline, window));
 * }
 */
export class WindowCounter {
  readonly #edges: (readonly number[])[];
  readonly #names: string[];
  readonly #featureCounts: Float64Array[];
  readonly #missing: Float64Array;
  readonly #outputKind: 'classes' | 'histogram';
  readonly #outputEdges: readonly number[];
  readonly #outputCounts: Float64Array;
  readonly #windowSize: number;
  #outputMissing = 0;
  #count = 0;

  constructor(baseline: BaselineBins) {
    this.#edges = baseline.features.map((f) => f.edges);
    this.#names = baseline.features.map((f) => f.name);
    this.#featureCounts = baseline.features.map((f) => new Float64Array(f.edges.length + 1));
    this.#missing = new Float64Array(baseline.features.length);
    this.#outputKind = baseline.output.kind;
    this.#outputEdges = baseline.output.kind === 'histogram' ? baseline.output.edges : [];
    this.#outputCounts = new Float64Array(
      baseline.output.kind === 'histogram'
        ? baseline.output.edges.length + 1
        : baseline.output.shares.length,
    );
    this.#windowSize = baseline.windowSize;
  }

  /** Rows counted since the last reset. */
  get count(): number {
    return this.#count;
  }

  /** True once the window holds the baseline's `windowSize` rows (thresholds assume that size). */
  get full(): boolean {
    return this.#count >= this.#windowSize;
  }

  /**
   * Counts rows (arrays of the raw feature values, baseline order) and, optionally, one output
   * per row: a class index for `classes` baselines, a value for `histogram` ones; NaN outputs
   * count as missing. The whole batch is checked before anything is counted.
   */
  addRows(rows: readonly ArrayLike<number>[], outputs?: ArrayLike<number>): void {
    const width = this.#names.length;
    rows.forEach((row, r) => {
      if (row.length !== width) {
        throw new DriftError(
          'EF_RUNTIME_DRIFT_SHAPE',
          `row ${r} has ${row.length} values, the baseline has ${width} features`,
          {
            row: r,
            length: row.length,
            features: width,
          },
        );
      }
    });
    const outputBins = this.#checkOutputs(outputs, rows.length);
    for (const row of rows) {
      for (let f = 0; f < width; f++) this.#countFeature(f, row[f] as number);
    }
    this.#countOutputs(outputBins);
    this.#count += rows.length;
  }

  /**
   * Counts a row-major matrix `[rows, features]` (e.g. a Float32Array batch) the same way as
   * {@link WindowCounter.addRows}.
   */
  addMatrix(data: ArrayLike<number>, outputs?: ArrayLike<number>): void {
    const width = this.#names.length;
    if (width === 0 ? data.length !== 0 : data.length % width !== 0) {
      throw new DriftError(
        'EF_RUNTIME_DRIFT_SHAPE',
        `a matrix of ${data.length} values is not whole rows of ${width} features`,
        {
          length: data.length,
          features: width,
        },
      );
    }
    const rowCount = width === 0 ? (outputs?.length ?? 0) : data.length / width;
    const outputBins = this.#checkOutputs(outputs, rowCount);
    for (let r = 0; r < rowCount; r++) {
      for (let f = 0; f < width; f++) this.#countFeature(f, data[r * width + f] as number);
    }
    this.#countOutputs(outputBins);
    this.#count += rowCount;
  }

  /** A copy of the counts so far (plain arrays, ready for a telemetry drift record). */
  snapshot(): WindowCounts {
    return {
      count: this.#count,
      features: this.#names.map((name, f) => ({
        name,
        counts: Array.from(this.#featureCounts[f] as Float64Array),
        missing: this.#missing[f] as number,
      })),
      output: { counts: Array.from(this.#outputCounts), missing: this.#outputMissing },
    };
  }

  /** Starts a new window: every count back to zero. */
  reset(): void {
    for (const counts of this.#featureCounts) counts.fill(0);
    this.#missing.fill(0);
    this.#outputCounts.fill(0);
    this.#outputMissing = 0;
    this.#count = 0;
  }

  #countFeature(f: number, x: number): void {
    const bin = binIndex(this.#edges[f] as readonly number[], x);
    if (bin === MISSING_BIN) increment(this.#missing, f);
    else increment(this.#featureCounts[f] as Float64Array, bin);
  }

  /** Output bins for a batch (checked up front so a bad batch counts nothing). */
  #checkOutputs(outputs: ArrayLike<number> | undefined, rowCount: number): Int32Array {
    if (outputs === undefined) return new Int32Array(0);
    if (outputs.length !== rowCount) {
      throw new DriftError(
        'EF_RUNTIME_DRIFT_SHAPE',
        `${outputs.length} outputs for ${rowCount} rows`,
        {
          outputs: outputs.length,
          rows: rowCount,
        },
      );
    }
    const bins = new Int32Array(outputs.length);
    for (let i = 0; i < outputs.length; i++) {
      const y = outputs[i] as number;
      if (this.#outputKind === 'histogram') {
        bins[i] = binIndex(this.#outputEdges, y);
      } else if (Number.isNaN(y)) {
        bins[i] = MISSING_BIN;
      } else if (Number.isInteger(y) && y >= 0 && y < this.#outputCounts.length) {
        bins[i] = y;
      } else {
        throw new DriftError(
          'EF_RUNTIME_DRIFT_SHAPE',
          `output ${i} (${y}) is not a class index below ${this.#outputCounts.length}`,
          {
            index: i,
            value: y,
            classes: this.#outputCounts.length,
          },
        );
      }
    }
    return bins;
  }

  #countOutputs(bins: Int32Array): void {
    for (const bin of bins) {
      if (bin === MISSING_BIN) this.#outputMissing++;
      else increment(this.#outputCounts, bin);
    }
  }
}

function increment(counts: Float64Array, i: number): void {
  counts[i] = (counts[i] as number) + 1;
}
