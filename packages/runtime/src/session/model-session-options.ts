import type { InferenceSession } from 'onnxruntime-node';

import { SessionError } from './session-errors.js';

export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface ModelSessionOptions {
  /** Threads inside one operator; onnxruntime's default is one per core. Use 1 in worker pools. */
  intraOpThreads?: number;
  /** Threads across independent operators (only used by parallel execution). */
  interOpThreads?: number;
  /** onnxruntime graph optimisation level; default 'all'. */
  graphOptimization?: GraphOptimization;
}

const LEVELS: readonly GraphOptimization[] = ['disabled', 'basic', 'extended', 'all'];

/**
 * Validates options once and maps them to onnxruntime's SessionOptions. The execution provider
 * is pinned to CPU: that is what the compiler validates on and what every device has.
 */
export function toOrtSessionOptions(options: ModelSessionOptions): InferenceSession.SessionOptions {
  const bad = (why: string): never => {
    throw new SessionError('EF_RUNTIME_SESSION_OPTIONS', why, { options: { ...options } });
  };
  const out: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: options.graphOptimization ?? 'all',
  };
  if (!LEVELS.includes(out.graphOptimizationLevel as GraphOptimization)) {
    bad(
      `graphOptimization must be one of ${LEVELS.join(', ')}, got ${String(options.graphOptimization)}`,
    );
  }
  for (const [name, value] of [
    ['intraOpThreads', options.intraOpThreads],
    ['interOpThreads', options.interOpThreads],
  ] as const) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1 || value > 1024) {
      bad(`${name} must be an integer in 1..1024, got ${String(value)}`);
    }
  }
  if (options.intraOpThreads !== undefined) out.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined) out.interOpNumThreads = options.interOpThreads;
  return out;
}
