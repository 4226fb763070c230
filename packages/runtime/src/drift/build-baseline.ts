/**
 * The compiler's "profile the baseline" step (DESIGN sections 4 and 9): calibration values in,
 * the manifest's `baseline` section out, checked against the protocol's `BaselineSchema`.
 */
import { type Baseline, BaselineSchema } from '@edgefleet/protocol';
import {
  checkBins,
  DEFAULT_BINS,
  type OutputValues,
  profileFeature,
  profileOutputs,
} from './baseline-profile.js';
import {
  type BootstrapOptions,
  bootstrapThreshold,
  calibrationBins,
  DEFAULT_BOOTSTRAP_SEED,
} from './bootstrap-threshold.js';
import { DriftError } from './drift-errors.js';
import { deriveSeed } from './seeded-random.js';

/**
 * Share of features over threshold that marks a window drifted. 0.3 because one feature over
 * its threshold happens by chance in about 1% of clean windows per feature, so asking for 30%
 * of them keeps false alarms rare for models with several features, while a model with up to
 * three features still flags on a single drifted one (1/3 >= 0.3). Per-feature flags are
 * reported either way.
 */
export const DEFAULT_DRIFTED_SHARE = 0.3;

export interface BuildBaselineOptions {
  /** Calibration values per model input feature, in the model's feature order (raw, unscaled). */
  features: readonly { name: string; values: ArrayLike<number> }[];
  /** The model's outputs on the same calibration rows. */
  outputs: OutputValues;
  /** Rows per device window; thresholds are bootstrapped for this size. */
  windowSize: number;
  /** Quantile bins per feature (default 10). */
  bins?: number;
  /** Bootstrap settings, see {@link BootstrapOptions} (the window size is `windowSize`). */
  bootstrap?: Omit<BootstrapOptions, 'windowSize'>;
  /** Default {@link DEFAULT_DRIFTED_SHARE}. */
  driftedShare?: number;
}

/**
 * Profiles calibration data into a manifest `baseline`: per feature quantile edges, shares,
 * mean, std and bootstrapped thresholds `{ psi, js, ks }` for `windowSize`; the output
 * distribution; the window rule. Deterministic: each feature's bootstrap is seeded from
 * `bootstrap.seed` and the feature's name.
 *
 * @example
 * const baseline = buildBaseline({
 *   features: [{ name: 'air_temp_k', values: airTemps }, { name: 'rpm', values: rpms }],
 *   outputs: { kind: 'classes', predicted: predictedClasses, classCount: 5 },
 *   windowSize: 250,
 *   bootstrap: { seed: 42 },
 * });
 * manifest.baseline = baseline;
 */
export function buildBaseline(options: BuildBaselineOptions): Baseline {
  const bins = checkBins(options.bins ?? DEFAULT_BINS);
  const driftedShare = options.driftedShare ?? DEFAULT_DRIFTED_SHARE;
  if (!(driftedShare > 0 && driftedShare <= 1)) {
    throw new DriftError('EF_RUNTIME_DRIFT_OPTIONS', 'driftedShare must be in (0, 1]', {
      driftedShare,
    });
  }
  if (!Number.isInteger(options.windowSize) || options.windowSize < 1) {
    throw new DriftError('EF_RUNTIME_DRIFT_OPTIONS', 'windowSize must be a positive integer', {
      windowSize: options.windowSize,
    });
  }
  checkNames(options.features.map((f) => f.name));
  const seed = options.bootstrap?.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const features = options.features.map(({ name, values }) => {
    const { edges, shares, mean, std } = profileFeature(values, { bins });
    const threshold = bootstrapThreshold(calibrationBins(edges, values), shares, {
      ...options.bootstrap,
      windowSize: options.windowSize,
      seed: deriveSeed(seed, name),
    });
    return { name, edges, shares, mean, std, threshold };
  });
  const baseline = {
    windowSize: options.windowSize,
    features,
    output: profileOutputs(options.outputs),
    rule: { driftedShare },
  };
  const parsed = BaselineSchema.safeParse(baseline);
  if (!parsed.success) {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_BASELINE',
      'the profiled baseline does not fit BaselineSchema',
      {
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.join('.'),
          message: issue.message,
        })),
      },
    );
  }
  return parsed.data;
}

function checkNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name.length === 0 || seen.has(name)) {
      throw new DriftError(
        'EF_RUNTIME_DRIFT_OPTIONS',
        `feature name ${JSON.stringify(name)} is empty or repeated`,
        {
          name,
        },
      );
    }
    seen.add(name);
  }
}
