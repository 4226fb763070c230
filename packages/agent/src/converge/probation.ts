/**
 * Probation (DESIGN section 8): after a switch the new model is watched for a while; too many
 * errors, worker crashes or agent restarts roll it back, otherwise it becomes `healthy`.
 */
import type { ModelHost, ModelStats } from '../inference/model-host-api.js';
import type { ConvergeErrorCode } from './converge-errors.js';

/** When a model in probation is judged bad. */
export interface ProbationPolicy {
  /** How long a new model is watched. */
  ms: number;
  /** Errors / requests above this (with at least `minRequests` requests) roll it back. */
  maxErrorRate: number;
  /** Worker crashes above this roll it back. */
  maxCrashes: number;
  /** Agent restarts during probation above this roll it back. */
  maxRestarts: number;
  /** Requests needed before the error rate is judged (one early error is not a rate). */
  minRequests: number;
  /** How often the counters are read. */
  checkIntervalMs: number;
}

/** The outcome of a probation. */
export type ProbationVerdict =
  { ok: true } | { ok: false; error: { code: ConvergeErrorCode; message: string } };

/**
 * `ModelStats` plus the worker crash count, when the model host reports one. (The model-host
 * contract has no crash counter yet; until it does, only the error rate and restarts count.)
 */
export type ProbationStats = ModelStats & { crashes?: number };

/**
 * Judges the counters of a model in probation: a failing verdict, or undefined while it passes.
 *
 * @example
 * judgeProbation({ requests: 100, errors: 30, latencyMs }, policy, 0); // { ok: false, ... }
 */
export function judgeProbation(
  stats: ProbationStats | undefined,
  policy: ProbationPolicy,
  restarts: number,
): ProbationVerdict | undefined {
  if (restarts > policy.maxRestarts) {
    return {
      ok: false,
      error: {
        code: 'EF_AGENT_PROBATION_RESTARTS',
        message: `the agent restarted ${restarts} times during probation (at most ${policy.maxRestarts} allowed)`,
      },
    };
  }
  if (!stats) return undefined;
  const crashes = stats.crashes ?? 0;
  if (crashes > policy.maxCrashes) {
    return {
      ok: false,
      error: {
        code: 'EF_AGENT_PROBATION_CRASHES',
        message: `workers crashed ${crashes} times during probation (at most ${policy.maxCrashes} allowed)`,
      },
    };
  }
  if (stats.requests >= policy.minRequests && stats.requests > 0) {
    const rate = stats.errors / stats.requests;
    if (rate > policy.maxErrorRate) {
      return {
        ok: false,
        error: {
          code: 'EF_AGENT_PROBATION_ERROR_RATE',
          message: `error rate ${rate.toFixed(3)} (${stats.errors}/${stats.requests}) is above ${policy.maxErrorRate}`,
        },
      };
    }
  }
  return undefined;
}

/** Options of {@link ProbationWatch}. */
export interface ProbationWatchOptions {
  modelHost: ModelHost;
  model: string;
  sha256: string;
  policy: ProbationPolicy;
  restarts: number;
  onVerdict: (verdict: ProbationVerdict) => void;
}

/** Watches one model in probation until its verdict (or `stop()`). */
export class ProbationWatch {
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private done = false;

  constructor(private readonly options: ProbationWatchOptions) {}

  /** Starts the window now. */
  start(): void {
    this.startedAt = Date.now();
    this.check();
  }

  /** Stops watching without a verdict. */
  stop(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.done) return;
    const { modelHost, model, sha256, policy, restarts } = this.options;
    // Stats belong to whatever serves the name: only judge while our bundle is the one serving.
    const serving = modelHost.list().find((m) => m.name === model);
    const stats =
      serving?.sha256 === sha256
        ? (modelHost.stats(model) as ProbationStats | undefined)
        : undefined;
    const failed = judgeProbation(stats, policy, restarts);
    if (failed) return this.finish(failed);
    const elapsed = Date.now() - this.startedAt;
    if (elapsed >= policy.ms) return this.finish({ ok: true });
    this.timer = setTimeout(
      () => this.check(),
      Math.min(policy.checkIntervalMs, policy.ms - elapsed),
    );
    this.timer.unref();
  }

  private finish(verdict: ProbationVerdict): void {
    this.stop();
    this.options.onVerdict(verdict);
  }
}
