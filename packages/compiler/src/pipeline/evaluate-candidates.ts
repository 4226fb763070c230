import { isEdgefleetError } from '@edgefleet/protocol';
import { ModelSession } from '@edgefleet/runtime';
import type { FeedTensor } from '@edgefleet/runtime';
import { writeOnnxModel } from '../onnx/index.js';
import type { OnnxModel } from '../onnx/index.js';
import { compareModels, gate } from '../validate/index.js';
import type { ComparisonBatch, GateResult, ModelComparison } from '../validate/index.js';
import type { CompileOptions, QuantizeMode } from './compile-options.js';
import { makeCandidate } from './model-candidate.js';
import { pairedLatency } from './paired-latency.js';
import type { CandidateContext, ModelCandidate } from './model-candidate.js';

/** One candidate as `auto` (or an explicit mode) measured it. */
export interface EvaluatedCandidate {
  readonly mode: Exclude<QuantizeMode, 'auto'>;
  /** Absent when the mode does not apply to this model (see `reason`). */
  readonly candidate?: ModelCandidate;
  readonly bytes?: Uint8Array;
  readonly comparison?: ModelComparison;
  readonly gate?: GateResult;
  readonly latencyMs?: number;
  /** fp32's batch-1 p50 measured alongside this candidate. */
  readonly fp32LatencyMs?: number;
  readonly chosen: boolean;
  /** Why it was chosen, rejected, or could not be built. */
  readonly reason: string;
}

export interface CandidateEvaluation {
  readonly candidates: readonly EvaluatedCandidate[];
  readonly chosen: EvaluatedCandidate & {
    candidate: ModelCandidate;
    bytes: Uint8Array;
    comparison: ModelComparison;
    gate: GateResult;
  };
}

export interface EvaluateArgs {
  readonly simplified: OnnxModel;
  readonly fp32: ModelSession;
  readonly opts: CompileOptions;
  readonly ctx: CandidateContext;
  readonly task: 'classification' | 'regression';
  readonly outputName: string;
  /** The output holds probabilities (Softmax/Sigmoid at the end), not logits. */
  readonly outputIsProbabilities: boolean;
  readonly evalBatches: () => AsyncIterable<ComparisonBatch>;
  readonly evalSamples: number;
  /** One preprocessed evaluation sample, for batch-1 latency. */
  readonly latencyFeeds: Record<string, FeedTensor> | undefined;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

/**
 * The modes `auto` tries, best size first: static QDQ (fused integer kernels, smallest), dynamic
 * int8, fp16, and fp32 as the fallback that always qualifies.
 */
export const AUTO_MODES: readonly Exclude<QuantizeMode, 'auto'>[] = [
  'int8-static',
  'int8',
  'fp16',
  'none',
];

/**
 * auto ships a quantized candidate only when it is at least this much faster than fp32 at batch
 * 1: paired measurements still wobble by a few percent, and "not slower than fp32" must hold on
 * the device, not just in one lucky measurement.
 */
export const AUTO_LATENCY_MARGIN = 0.97;

/**
 * Builds and measures the candidates for `--quantize` (one mode, or every {@link AUTO_MODES}
 * for auto) against fp32 on the evaluation data, and picks the one to ship: for an explicit mode
 * that mode; for auto the smallest candidate that passes the gate and is at least 3% faster than fp32 at
 * batch 1 (fp32 itself when none is).
 */
export async function evaluateCandidates(args: EvaluateArgs): Promise<CandidateEvaluation> {
  const modes = args.opts.quantize === 'auto' ? AUTO_MODES : [args.opts.quantize];
  const measured: EvaluatedCandidate[] = [];
  for (const mode of modes) {
    let candidate: ModelCandidate;
    try {
      candidate = await makeCandidate(args.simplified, mode, args.opts, args.ctx);
    } catch (err) {
      // For auto, a mode that does not fit the model (no weights to quantize, old opset) is a
      // tried-and-skipped candidate; for an explicit mode it is the user's error.
      if (args.opts.quantize !== 'auto' || !isEdgefleetError(err)) throw err;
      measured.push({ mode, chosen: false, reason: `not applicable: ${err.code}: ${err.message}` });
      continue;
    }
    const bytes = writeOnnxModel(candidate.model);
    const session = await ModelSession.load(bytes);
    try {
      const comparison = await compareModels({
        fp32: args.fp32,
        candidate: session,
        task: args.task,
        outputName: args.outputName,
        outputIsProbabilities: args.outputIsProbabilities,
        batches: args.evalBatches(),
        total: args.evalSamples,
        onProgress: (done) => args.onProgress?.(`validate ${mode}`, done, args.evalSamples),
      });
      const paired =
        args.latencyFeeds === undefined
          ? undefined
          : await pairedLatency(args.fp32, session, args.latencyFeeds);
      const fp32Metric =
        comparison.task === 'classification' ? comparison.fp32.accuracy : comparison.fp32.mse;
      const candidateMetric =
        comparison.task === 'classification'
          ? comparison.candidate.accuracy
          : comparison.candidate.mse;
      const verdict = gate({
        task: args.task,
        fp32Metric,
        candidateMetric,
        ...(args.opts.maxDrop === undefined ? {} : { maxDrop: args.opts.maxDrop }),
      });
      measured.push({
        mode,
        candidate,
        bytes,
        comparison,
        gate: verdict,
        ...(paired === undefined
          ? {}
          : { latencyMs: paired.candidateMs, fp32LatencyMs: paired.referenceMs }),
        chosen: false,
        reason: '',
      });
    } finally {
      await session.release();
    }
  }
  return pick(measured, args.opts.quantize === 'auto');
}

function pick(measured: EvaluatedCandidate[], auto: boolean): CandidateEvaluation {
  const explain = (c: EvaluatedCandidate): string => {
    if (c.gate === undefined) return c.reason;
    if (!c.gate.passed) return `fails the gate: ${c.gate.message}`;
    const ratio = (c.latencyMs ?? 0) / (c.fp32LatencyMs || 1);
    if (auto && c.mode !== 'none' && ratio > AUTO_LATENCY_MARGIN) {
      return `not faster than fp32 at batch 1 (${(c.latencyMs ?? 0).toFixed(4)} ms vs ${(c.fp32LatencyMs ?? 0).toFixed(4)} ms, x${ratio.toFixed(2)}; needs <= x${AUTO_LATENCY_MARGIN})`;
    }
    return 'qualifies';
  };
  const qualified = measured.filter((c) => explain(c) === 'qualifies');
  const best = auto
    ? [...qualified].sort(
        (a, b) => (a.bytes?.byteLength ?? Infinity) - (b.bytes?.byteLength ?? Infinity),
      )[0]
    : measured[0];
  const candidates = measured.map((c) => {
    const chosen = c === best;
    const why = explain(c);
    const reason = chosen
      ? !auto
        ? 'requested mode'
        : c.mode === 'none'
          ? 'no smaller candidate is within the gate and faster than fp32, so fp32 ships'
          : `smallest candidate within the gate and at least ${Math.round((1 - AUTO_LATENCY_MARGIN) * 100)}% faster than fp32`
      : why === 'qualifies'
        ? 'qualifies, but a smaller candidate does too'
        : why;
    return { ...c, chosen, reason };
  });
  const chosen = candidates.find((c) => c.chosen);
  if (
    chosen?.candidate === undefined ||
    chosen.bytes === undefined ||
    chosen.comparison === undefined ||
    chosen.gate === undefined
  ) {
    // Unreachable for auto ('none' always qualifies: it is fp32 itself, simplified).
    throw new Error('no candidate was chosen');
  }
  return { candidates, chosen: chosen as CandidateEvaluation['chosen'] };
}
