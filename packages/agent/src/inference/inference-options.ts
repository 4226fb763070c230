/** Checks of the model host's and worker pool's numeric options (`EF_AGENT_HOST_OPTIONS`). */
import { InferenceError } from './inference-errors.js';
import type { ModelHostOptions } from './model-host-types.js';

const MAX_SIMULATED_LATENCY_MS = 60_000;

/**
 * `value` (or `fallback` when unset) as an integer in 1..max, else EF_AGENT_HOST_OPTIONS.
 *
 * @example
 * const workers = intOption(options.workers, 2, 'workers', 64);
 */
export function intOption(
  value: number | undefined,
  fallback: number,
  name: string,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) {
    throw new InferenceError(
      'EF_AGENT_HOST_OPTIONS',
      `${name} must be an integer in 1..${max}, got ${String(value)}`,
      { [name]: value },
    );
  }
  return v;
}

/**
 * A delay in ms from 0 to `max` (fractions allowed), 0 when unset, else EF_AGENT_HOST_OPTIONS.
 *
 * @example
 * const extra = msOption(options.simulatedLatencyMs, 'simulatedLatencyMs', 60_000); // 0
 */
export function msOption(value: number | undefined, name: string, max: number): number {
  const v = value ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
    throw new InferenceError(
      'EF_AGENT_HOST_OPTIONS',
      `${name} must be a number of ms from 0 to ${max}, got ${String(value)}`,
      { [name]: value },
    );
  }
  return v;
}

/**
 * The simulated extra latency per model, checked once (a number) or per call (a function).
 *
 * @example
 * latencyKnob(20)({ name: 'pm', version: '1.0.0' }); // 20
 */
export function latencyKnob(
  knob: ModelHostOptions['simulatedLatencyMs'],
): (model: { name: string; version: string }) => number {
  if (typeof knob !== 'function') {
    const ms = msOption(knob, 'simulatedLatencyMs', MAX_SIMULATED_LATENCY_MS);
    return () => ms;
  }
  return (model) => {
    let ms: unknown;
    try {
      ms = knob({ name: model.name, version: model.version });
    } catch {
      ms = 0;
    }
    return typeof ms === 'number' && ms > 0 && ms <= MAX_SIMULATED_LATENCY_MS ? ms : 0;
  };
}
