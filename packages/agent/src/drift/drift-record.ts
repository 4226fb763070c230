/**
 * A closed window as a telemetry `drift` record ([P-TL-1]): the counts always (they merge by
 * addition on the hub, so windows gathered offline or too short to judge still count), and the
 * scores and verdict when the window held enough rows for the baseline's thresholds.
 */
import type { Baseline } from '@edgefleet/protocol';
import { scoreWindow, type WindowCounts } from '@edgefleet/runtime';

/** Why a window closed. */
export type WindowCloseReason = 'count' | 'time' | 'replaced' | 'stop';

export interface DriftWindowFacts {
  model: string;
  version: string;
  baseline: Baseline;
  counts: WindowCounts;
  start: number;
  end: number;
  closedBy: WindowCloseReason;
  /** Score the window (enough rows for the thresholds). */
  score: boolean;
}

/**
 * Builds the record. Extra fields beyond the protocol's (the records are loose, [P-MS-2]):
 * `closedBy`, per feature `missing`, per score `threshold` and `drifted`, `driftedFeatures`,
 * `driftedShare` and the output's distances `outputScore`.
 *
 * @example
 * const record = driftRecord({ model: 'pm', version: '1.0.0', baseline, counts: counter.snapshot(),
 *   start, end: Date.now(), closedBy: 'count', score: true });
 * record.drifted; // true when the share of features over threshold reaches the rule
 */
export function driftRecord(facts: DriftWindowFacts): Record<string, unknown> {
  const { baseline, counts } = facts;
  const record: Record<string, unknown> = {
    model: facts.model,
    version: facts.version,
    windowStart: new Date(facts.start).toISOString(),
    windowEnd: new Date(facts.end).toISOString(),
    count: counts.count,
    features: counts.features,
    output: counts.output,
    closedBy: facts.closedBy,
  };
  if (!facts.score) return record;
  const score = scoreWindow(baseline, counts);
  record['scores'] = score.features.map((f, i) => ({
    name: f.name,
    psi: f.psi,
    js: f.js,
    ks: f.ks,
    threshold: baseline.features[i]?.threshold.psi,
    drifted: f.drifted,
  }));
  record['outputScore'] = { psi: score.output.psi, js: score.output.js, ks: score.output.ks };
  record['driftedFeatures'] = score.driftedFeatures;
  record['driftedShare'] = score.driftedShare;
  record['drifted'] = score.drifted;
  return record;
}
