/**
 * Drift scores (DESIGN section 8): distances between a baseline's expected shares and a
 * window's observed counts over the same bins (PSI, Jensen-Shannon divergence, binned
 * Kolmogorov-Smirnov), and {@link scoreWindow}, the per-window verdict. Each distance takes
 * counts (what the device has) and normalises them itself; an empty window (all counts zero)
 * carries no evidence and scores 0.
 */
import { DriftError } from './drift-errors.js';

/**
 * PSI smoothing: `epsilon` is added to every bin of both distributions, which are then
 * renormalised (`(s + eps) / (1 + k * eps)` for k bins). Without it an empty bin makes
 * `ln(q / p)` infinite. 1e-4 is the usual choice: it caps an empty bin's contribution at about
 * `share * ln(share / 1e-4)` (0.69 for a 10% bin) while changing non-empty bins by ~0.01%.
 * The compiler's bootstrap and the device use this same value, so thresholds and scores agree.
 */
export const PSI_EPSILON = 1e-4;

export interface PsiOptions {
  /** Smoothing added to each bin (default {@link PSI_EPSILON}); 0 only for hand checks. */
  epsilon?: number;
}

/**
 * Population Stability Index, natural log (the convention behind the usual 0.1 / 0.25 rules of
 * thumb): `PSI = sum_i (q_i - p_i) * ln(q_i / p_i)`, with `p` the expected shares and `q` the
 * observed shares (`counts / total`), both smoothed by {@link PSI_EPSILON}. Symmetric, >= 0.
 *
 * @example
 * psi([0.5, 0.5], [3, 1], { epsilon: 0 }); // 0.25 * ln 3 = 0.2747
 * psi([0.5, 0.5], [5, 5]); // 0
 */
export function psi(
  expected: ArrayLike<number>,
  observed: ArrayLike<number>,
  options: PsiOptions = {},
): number {
  const epsilon = options.epsilon ?? PSI_EPSILON;
  if (!(epsilon >= 0 && epsilon < 1)) {
    throw new DriftError('EF_RUNTIME_DRIFT_OPTIONS', 'epsilon must be in [0, 1)', { epsilon });
  }
  const total = checkedTotal(expected, observed);
  if (total === 0) return 0;
  const k = expected.length;
  const norm = 1 + k * epsilon;
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const p = ((expected[i] as number) + epsilon) / norm;
    const q = ((observed[i] as number) / total + epsilon) / norm;
    // 0 * ln(0/0) is taken as 0 (only reachable with epsilon 0 and a bin empty in both).
    if (p !== q) sum += (q - p) * Math.log(q / p);
  }
  return sum;
}

/**
 * Jensen-Shannon divergence in bits (log base 2), so it lies in [0, 1] (1 for disjoint
 * supports): `JS = 1/2 KL(P || M) + 1/2 KL(Q || M)` with `M = (P + Q) / 2` and
 * `KL(A || B) = sum_i a_i * log2(a_i / b_i)`, terms with `a_i = 0` being 0. No smoothing is
 * needed: `m_i > 0` wherever `p_i` or `q_i` is. This is the divergence, not the JS distance
 * (its square root).
 *
 * @example
 * jensenShannon([0.5, 0.5], [3, 1]); // 0.0488
 * jensenShannon([1, 0], [0, 4]); // 1
 */
export function jensenShannon(expected: ArrayLike<number>, observed: ArrayLike<number>): number {
  const total = checkedTotal(expected, observed);
  if (total === 0) return 0;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const p = expected[i] as number;
    const q = (observed[i] as number) / total;
    const m = (p + q) / 2;
    if (p > 0) sum += p * Math.log2(p / m);
    if (q > 0) sum += q * Math.log2(q / m);
  }
  // Rounding can leave a tiny negative or a hair over 1; the true value is in [0, 1].
  return Math.min(1, Math.max(0, sum / 2));
}

/**
 * Binned Kolmogorov-Smirnov statistic: the largest absolute gap between the two cumulative
 * distributions at the bin boundaries, `max_j |sum_{i<=j} p_i - sum_{i<=j} q_i|`, in [0, 1].
 * It is a lower bound of the exact KS statistic, which would need the raw values.
 *
 * @example
 * binnedKs([0.25, 0.5, 0.25], [0, 2, 2]); // max(|0.25-0|, |0.75-0.5|, |1-1|) = 0.25
 */
export function binnedKs(expected: ArrayLike<number>, observed: ArrayLike<number>): number {
  const total = checkedTotal(expected, observed);
  if (total === 0) return 0;
  let cumP = 0;
  let cumQ = 0;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    cumP += expected[i] as number;
    cumQ += (observed[i] as number) / total;
    max = Math.max(max, Math.abs(cumP - cumQ));
  }
  return Math.min(1, max);
}

function checkedTotal(expected: ArrayLike<number>, observed: ArrayLike<number>): number {
  if (expected.length !== observed.length) {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_SHAPE',
      `${observed.length} observed counts for ${expected.length} expected shares`,
      { expected: expected.length, observed: observed.length },
    );
  }
  let total = 0;
  for (let i = 0; i < observed.length; i++) total += observed[i] as number;
  return total;
}

/** The distances of one window's counts from one baseline histogram. */
export interface DriftDistances {
  psi: number;
  js: number;
  ks: number;
  /** Values counted (NaN inputs excluded). */
  count: number;
}

/** One feature's scores; `drifted` is `psi > threshold.psi`. */
export interface FeatureDriftScore extends DriftDistances {
  name: string;
  drifted: boolean;
}

/** A window's scores and verdict. */
export interface WindowDriftScore {
  features: FeatureDriftScore[];
  /** Output distances, for reporting (the verdict uses the features only). */
  output: DriftDistances;
  /** Names of the features over their PSI threshold. */
  driftedFeatures: string[];
  /** driftedFeatures.length / features.length (0 without features). */
  driftedShare: number;
  /** driftedShare >= baseline.rule.driftedShare (and at least one feature drifted). */
  drifted: boolean;
}

/** The parts of a baseline that scoring needs; the protocol's `Baseline` fits. */
export interface ScoredBaseline {
  features: readonly { name: string; shares: readonly number[]; threshold: { psi: number } }[];
  output: { shares: readonly number[] };
  rule: { driftedShare: number };
}

/**
 * What {@link scoreWindow} reads from a window: counts per feature (names checked if given).
 * A `WindowCounter` snapshot or a telemetry drift record fits.
 */
export interface WindowCountsInput {
  features: readonly { name?: string; counts: ArrayLike<number> }[];
  output?: { counts: ArrayLike<number> };
}

/**
 * Distances of observed counts from expected shares: {@link psi} (with {@link PSI_EPSILON}),
 * {@link jensenShannon} and {@link binnedKs}.
 *
 * @example
 * driftDistances([0.5, 0.5], [3, 1]); // { psi: 0.2747, js: 0.0488, ks: 0.25, count: 4 }
 */
export function driftDistances(
  expected: ArrayLike<number>,
  observed: ArrayLike<number>,
): DriftDistances {
  return {
    psi: psi(expected, observed),
    js: jensenShannon(expected, observed),
    ks: binnedKs(expected, observed),
    count: checkedTotal(expected, observed),
  };
}

/**
 * Scores a window against its baseline: per feature PSI, JS and KS, `drifted` when
 * `psi > threshold.psi`; the window is drifted when the share of drifted features reaches
 * `rule.driftedShare`. Thresholds were bootstrapped for `baseline.windowSize` rows: a much
 * smaller window is noisier and flags more often, so score full windows where possible.
 *
 * @example
 * const score = scoreWindow(manifest.baseline, counter.snapshot());
 * if (score.drifted) log.warn('drift', { features: score.driftedFeatures });
 */
export function scoreWindow(baseline: ScoredBaseline, window: WindowCountsInput): WindowDriftScore {
  if (window.features.length !== baseline.features.length) {
    throw new DriftError(
      'EF_RUNTIME_DRIFT_SHAPE',
      `the window has ${window.features.length} features, the baseline ${baseline.features.length}`,
      { window: window.features.length, baseline: baseline.features.length },
    );
  }
  const features = baseline.features.map((feature, i) => {
    const counted = window.features[i] as WindowCountsInput['features'][number];
    if (counted.name !== undefined && counted.name !== feature.name) {
      throw new DriftError(
        'EF_RUNTIME_DRIFT_SHAPE',
        `window feature ${i} is ${counted.name}, the baseline has ${feature.name}`,
        {
          index: i,
          window: counted.name,
          baseline: feature.name,
        },
      );
    }
    const distances = driftDistances(feature.shares, counted.counts);
    return { name: feature.name, ...distances, drifted: distances.psi > feature.threshold.psi };
  });
  const outputCounts =
    window.output?.counts ?? new Array<number>(baseline.output.shares.length).fill(0);
  const driftedFeatures = features.filter((f) => f.drifted).map((f) => f.name);
  const driftedShare = features.length === 0 ? 0 : driftedFeatures.length / features.length;
  return {
    features,
    output: driftDistances(baseline.output.shares, outputCounts),
    driftedFeatures,
    driftedShare,
    drifted: driftedFeatures.length > 0 && driftedShare >= baseline.rule.driftedShare,
  };
}
