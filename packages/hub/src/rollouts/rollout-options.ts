/**
 * Rollout options (DESIGN section 7): parsed and validated once, then frozen. The CLI passes
 * its flags' strings (`--soak 10m`, `--max-failures 5%`, `--gate "error-rate<1%"`,
 * `--rate 100/min`); the HTTP API may pass numbers; stored options are re-read the same way.
 */
import { parseGate } from './gate-expressions.js';
import type { Gate } from './gate-expressions.js';
import {
  parseCount,
  parseDurationOption,
  parseRate,
  parseReleaseRef,
  parseSelector,
  parseShare,
  parseWaves,
} from './option-values.js';
import type { ReleaseRef, WavesSpec } from './option-values.js';
import { RolloutError } from './rollout-errors.js';

/** What to do with a failed wave. */
export type OnFailure = 'pause' | 'rollback';

/** Validated, frozen rollout options. Fractions are in [0, 1]; durations in ms. */
export interface RolloutOptions {
  readonly release: ReleaseRef;
  /** Tags every selected device carries (`{}`: every device). */
  readonly selector: Readonly<Record<string, string>>;
  /** Percentages ascending to 100, or explicit cohorts of device ids. */
  readonly waves: WavesSpec;
  /** How long a wave's success must hold, with gates green, before the next wave starts. */
  readonly soakMs: number;
  /** A wave fails when (failed + rolled-back + timed-out) / size is above this. */
  readonly maxFailures: number;
  /** A wave passes only when (installed + healthy) / size reaches this. */
  readonly minSuccess: number;
  /** A wave is judged only after this many of its devices reported (capped at its size). */
  readonly minReported: number;
  readonly gates: readonly Gate[];
  /** Notifications (new desired states) per minute for this rollout. */
  readonly ratePerMinute: number;
  readonly onFailure: OnFailure;
  /** A notified device that reaches no final state within this is marked timed-out. */
  readonly deviceTimeoutMs: number;
}

/** What {@link parseRolloutOptions} accepts: the same fields, strings or numbers. */
export interface RolloutOptionsInput {
  release: string | { name: string; version: string };
  selector: string | Record<string, string>;
  waves: string | readonly number[] | readonly (readonly string[])[];
  soakMs: string | number;
  maxFailures?: string | number;
  minSuccess?: string | number;
  minReported?: string | number;
  gates?: readonly (string | Partial<Gate>)[];
  ratePerMinute?: string | number;
  onFailure?: OnFailure;
  deviceTimeoutMs?: string | number;
}

/** Defaults of the optional options. */
export const ROLLOUT_DEFAULTS = Object.freeze({
  maxFailures: 0.05,
  minSuccess: 0.95,
  minReported: 3,
  ratePerMinute: 600,
  onFailure: 'pause' as OnFailure,
  deviceTimeoutMs: 30 * 60_000,
});

const REQUIRED = ['release', 'selector', 'waves', 'soakMs'] as const;
const KNOWN = new Set<string>([
  ...REQUIRED,
  'maxFailures',
  'minSuccess',
  'minReported',
  'gates',
  'ratePerMinute',
  'onFailure',
  'deviceTimeoutMs',
]);
const MAX_GATES = 16;

function optionsError(message: string): RolloutError {
  return new RolloutError('EF_HUB_ROLLOUT_OPTIONS', message);
}

function parseGates(input: unknown): readonly Gate[] {
  if (input === undefined) return Object.freeze([]);
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list) || list.length > MAX_GATES) {
    throw new RolloutError('EF_HUB_ROLLOUT_GATE', `gates must be a list of at most ${MAX_GATES}`);
  }
  const gates = list.map((g: unknown) => parseGate(g));
  const seen = new Set<string>();
  for (const g of gates) {
    if (seen.has(g.expression)) {
      throw new RolloutError('EF_HUB_ROLLOUT_GATE', `gate ${g.expression} is given twice`);
    }
    seen.add(g.expression);
  }
  return Object.freeze(gates);
}

function parseOnFailure(input: unknown): OnFailure {
  if (input === undefined) return ROLLOUT_DEFAULTS.onFailure;
  if (input === 'pause' || input === 'rollback') return input;
  throw new RolloutError(
    'EF_HUB_ROLLOUT_ON_FAILURE',
    `on-failure must be pause or rollback, got ${typeof input === 'string' ? JSON.stringify(input.slice(0, 32)) : typeof input}`,
  );
}

/**
 * Validates rollout options and returns them frozen with defaults filled in. Every malformed
 * option throws its own `EF_HUB_ROLLOUT_*` code.
 *
 * @example
 * const options = parseRolloutOptions({
 *   release: 'pm-mlp@1.1.0', selector: 'site=plant-a', waves: '1,10,50,100', soakMs: '10m',
 *   gates: ['error-rate<1%', 'p95-latency<1.2x', 'drift<0.25'], ratePerMinute: '100/min',
 * });
 */
export function parseRolloutOptions(input: unknown): RolloutOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw optionsError('rollout options must be an object');
  }
  const o = input as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    throw optionsError(`unknown rollout option(s): ${unknown.slice(0, 5).join(', ')}`);
  }
  const missing = REQUIRED.filter((k) => o[k] === undefined);
  if (missing.length > 0) throw optionsError(`missing rollout option(s): ${missing.join(', ')}`);
  const optional = <T>(key: string, parse: (v: unknown) => T, fallback: T): T =>
    o[key] === undefined ? fallback : parse(o[key]);
  return Object.freeze({
    release: parseReleaseRef(o.release),
    selector: parseSelector(o.selector),
    waves: parseWaves(o.waves),
    soakMs: parseDurationOption(o.soakMs, 'EF_HUB_ROLLOUT_SOAK', 'soak'),
    maxFailures: optional(
      'maxFailures',
      (v) => parseShare(v, 'EF_HUB_ROLLOUT_MAX_FAILURES', 'max-failures'),
      ROLLOUT_DEFAULTS.maxFailures,
    ),
    minSuccess: optional(
      'minSuccess',
      (v) => parseShare(v, 'EF_HUB_ROLLOUT_MIN_SUCCESS', 'min-success'),
      ROLLOUT_DEFAULTS.minSuccess,
    ),
    minReported: optional(
      'minReported',
      (v) => parseCount(v, 'EF_HUB_ROLLOUT_MIN_REPORTED', 'min-reported'),
      ROLLOUT_DEFAULTS.minReported,
    ),
    gates: parseGates(o.gates),
    ratePerMinute: optional('ratePerMinute', parseRate, ROLLOUT_DEFAULTS.ratePerMinute),
    onFailure: parseOnFailure(o.onFailure),
    deviceTimeoutMs: optional(
      'deviceTimeoutMs',
      (v) =>
        parseDurationOption(v, 'EF_HUB_ROLLOUT_DEVICE_TIMEOUT', 'device timeout', {
          positive: true,
        }),
      ROLLOUT_DEFAULTS.deviceTimeoutMs,
    ),
  });
}

/**
 * The JSON form options are stored in (gates as their expressions); {@link parseRolloutOptions}
 * reads it back.
 *
 * @example
 * parseRolloutOptions(JSON.parse(JSON.stringify(rolloutOptionsToJson(options))));
 */
export function rolloutOptionsToJson(options: RolloutOptions): Record<string, unknown> {
  return { ...options, gates: options.gates.map((g) => g.expression) };
}
