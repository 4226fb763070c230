/**
 * Parsers for the individual rollout options, each accepting what the CLI passes (strings like
 * `5%`, `100/min`, `site=a,hw=rpi5`) and what the HTTP API passes (numbers, objects).
 */
import { isDeviceId, isSemver, parseDuration } from '@edgefleet/protocol';
import { RolloutError } from './rollout-errors.js';
import type { RolloutErrorCode } from './rollout-errors.js';

/** A model release: `name@version`. */
export interface ReleaseRef {
  readonly name: string;
  readonly version: string;
}

/** Percentages ascending to 100, or explicit cohorts of device ids. */
export type WavesSpec = readonly number[] | readonly (readonly string[])[];

const MODEL_NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
// The same tag rules as the hub store, so a selector can match what the store accepts.
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const MAX_TAG_VALUE = 256;
const MAX_WAVES = 100;
const MAX_COHORT_DEVICES = 100_000;
const PERCENT_TOKEN = /^\d{1,3}(?:\.\d{1,6})?%?$/;
const RATE = /^(\d{1,9}(?:\.\d{1,6})?)\/(s|sec|m|min|h|hour)$/;
const RATE_UNIT_PER_MINUTE = { s: 60, sec: 60, m: 1, min: 1, h: 1 / 60, hour: 1 / 60 } as const;
const MAX_RATE_PER_MINUTE = 1_000_000;

function shown(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input.slice(0, 80));
  if (typeof input === 'number') return String(input);
  return typeof input;
}

function refuse(code: RolloutErrorCode, message: string, input?: unknown): RolloutError {
  return new RolloutError(code, message, input === undefined ? undefined : { value: shown(input) });
}

/**
 * Parses `name@version` (or `{ name, version }`). Throws `EF_HUB_ROLLOUT_RELEASE`.
 *
 * @example
 * parseReleaseRef('pm-mlp@1.2.0'); // { name: 'pm-mlp', version: '1.2.0' }
 */
export function parseReleaseRef(input: unknown): ReleaseRef {
  let name: unknown;
  let version: unknown;
  if (typeof input === 'string') {
    const at = input.lastIndexOf('@');
    name = at > 0 ? input.slice(0, at) : undefined;
    version = at > 0 ? input.slice(at + 1) : undefined;
  } else if (typeof input === 'object' && input !== null) {
    ({ name, version } = input as Record<string, unknown>);
  }
  if (typeof name !== 'string' || name.length > 64 || !MODEL_NAME.test(name)) {
    throw refuse(
      'EF_HUB_ROLLOUT_RELEASE',
      `release ${shown(input)} is not <model>@<version>`,
      input,
    );
  }
  if (!isSemver(version)) {
    throw refuse(
      'EF_HUB_ROLLOUT_RELEASE',
      `release ${name}: ${shown(version)} is not SemVer`,
      input,
    );
  }
  return Object.freeze({ name, version });
}

/**
 * Parses a tag selector: `site=a,hw=rpi5`, `*` (every device) or an object. Throws
 * `EF_HUB_ROLLOUT_SELECTOR`.
 *
 * @example
 * parseSelector('site=plant-a,hw=rpi5'); // { site: 'plant-a', hw: 'rpi5' }
 */
export function parseSelector(input: unknown): Readonly<Record<string, string>> {
  let pairs: [string, unknown][];
  if (typeof input === 'string') {
    const text = input.trim();
    if (text === '')
      throw refuse('EF_HUB_ROLLOUT_SELECTOR', 'the selector is empty; use * for every device');
    pairs =
      text === '*'
        ? []
        : text.split(',').map((part): [string, unknown] => {
            const eq = part.indexOf('=');
            if (eq < 0) {
              throw refuse(
                'EF_HUB_ROLLOUT_SELECTOR',
                `selector part ${shown(part)} is not k=v`,
                input,
              );
            }
            return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
          });
  } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    pairs = Object.entries(input);
  } else {
    throw refuse(
      'EF_HUB_ROLLOUT_SELECTOR',
      `the selector must be k=v,... or an object, got ${shown(input)}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (!TAG_KEY.test(key)) {
      throw refuse(
        'EF_HUB_ROLLOUT_SELECTOR',
        `selector key ${shown(key)} does not match ${TAG_KEY.source}`,
      );
    }
    if (Object.hasOwn(out, key))
      throw refuse('EF_HUB_ROLLOUT_SELECTOR', `selector key ${key} appears twice`);
    if (
      typeof value !== 'string' ||
      value === '' ||
      value.length > MAX_TAG_VALUE ||
      /[,\p{Cc}]/u.test(value)
    ) {
      throw refuse(
        'EF_HUB_ROLLOUT_SELECTOR',
        `selector ${key} needs a value of 1-${MAX_TAG_VALUE} characters without commas`,
      );
    }
    out[key] = value;
  }
  return Object.freeze(out);
}

function wavesError(message: string, input?: unknown): RolloutError {
  return refuse('EF_HUB_ROLLOUT_WAVES', message, input);
}

function checkPercents(percents: readonly unknown[]): readonly number[] {
  let previous = 0;
  for (const p of percents) {
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= previous || p > 100) {
      throw wavesError(`wave ${shown(p)} must be a percentage in (${previous}, 100], ascending`);
    }
    previous = p;
  }
  if (previous !== 100) throw wavesError('the last wave must be 100 (every selected device)');
  return Object.freeze([...(percents as number[])]);
}

function checkCohorts(cohorts: readonly unknown[]): readonly (readonly string[])[] {
  const seen = new Set<string>();
  return Object.freeze(
    cohorts.map((cohort, i) => {
      if (!Array.isArray(cohort) || cohort.length === 0)
        throw wavesError(`cohort ${i + 1} is empty`);
      for (const id of cohort as unknown[]) {
        if (!isDeviceId(id)) throw wavesError(`cohort ${i + 1}: ${shown(id)} is not a device id`);
        if (seen.has(id)) throw wavesError(`device ${id} is in two cohorts`);
        seen.add(id);
      }
      if (seen.size > MAX_COHORT_DEVICES)
        throw wavesError(`cohorts hold at most ${MAX_COHORT_DEVICES} devices`);
      return Object.freeze([...(cohort as string[])]);
    }),
  );
}

/**
 * Parses waves: percentages (`1,10,50,100`, `1%,10%,100%` or `[1, 10, 100]`) ascending and
 * ending at 100, or explicit cohorts (`dev-1,dev-2;dev-3` or `[['dev-1','dev-2'],['dev-3']]`).
 * A string is cohorts when it holds `;` or a token that is not a percentage (a single cohort
 * of numeric ids is written with a trailing `;`). Throws `EF_HUB_ROLLOUT_WAVES`.
 *
 * @example
 * parseWaves('1,10,50,100'); // [1, 10, 50, 100]
 * parseWaves('canary-1;canary-2,canary-3'); // [['canary-1'], ['canary-2', 'canary-3']]
 */
export function parseWaves(input: unknown): WavesSpec {
  if (typeof input === 'string') {
    const text = input.replace(/\s+/g, '');
    const tokens = text.split(/[,;]/);
    if (text === '' || tokens.length > MAX_COHORT_DEVICES)
      throw wavesError('no waves given', input);
    if (!text.includes(';') && tokens.every((t) => PERCENT_TOKEN.test(t))) {
      return checkPercents(tokens.map((t) => Number(t.replace('%', ''))));
    }
    const cohorts = text.split(';');
    if (cohorts.at(-1) === '') cohorts.pop();
    return parseWaves(cohorts.map((c) => (c === '' ? [] : c.split(','))));
  }
  if (!Array.isArray(input) || input.length === 0) {
    throw wavesError(`waves must be a list of percentages or cohorts, got ${shown(input)}`);
  }
  if (input.length > MAX_WAVES) throw wavesError(`at most ${MAX_WAVES} waves`);
  if (input.every((w) => typeof w === 'number')) return checkPercents(input);
  if (input.every((w) => Array.isArray(w))) return checkCohorts(input);
  throw wavesError('waves mix percentages and cohorts');
}

/** True when the waves are explicit cohorts. */
export function isCohorts(waves: WavesSpec): waves is readonly (readonly string[])[] {
  return Array.isArray(waves[0]);
}

/**
 * Parses a share: `5%`, `0.05` or the number 0.05; refuses anything outside [0, 1] (a bare `5`
 * is refused rather than guessed).
 *
 * @example
 * parseShare('5%', 'EF_HUB_ROLLOUT_MAX_FAILURES', 'max-failures'); // 0.05
 */
export function parseShare(input: unknown, code: RolloutErrorCode, what: string): number {
  let value = NaN;
  if (typeof input === 'number') value = input;
  else if (typeof input === 'string' && /^\d{1,3}(?:\.\d{1,9})?%$/.test(input.trim())) {
    value = Number(input.trim().slice(0, -1)) / 100;
  } else if (typeof input === 'string' && /^\d(?:\.\d{1,9})?$/.test(input.trim())) {
    value = Number(input.trim());
  }
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw refuse(code, `${what} ${shown(input)} is not a share like 5% or 0.05`, input);
  }
  return value;
}

/**
 * Parses a positive integer count (number or digits). Throws `code`.
 *
 * @example
 * parseCount('3', 'EF_HUB_ROLLOUT_MIN_REPORTED', 'min-reported'); // 3
 */
export function parseCount(input: unknown, code: RolloutErrorCode, what: string): number {
  const value = typeof input === 'string' && /^\d{1,9}$/.test(input.trim()) ? Number(input) : input;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 1e9) {
    throw refuse(code, `${what} ${shown(input)} is not a positive integer`, input);
  }
  return value;
}

/**
 * Parses a notification rate into notifications per minute: `100/min`, `5/s`, `600/h` or a
 * number (already per minute). Throws `EF_HUB_ROLLOUT_RATE`.
 *
 * @example
 * parseRate('5/s'); // 300
 */
export function parseRate(input: unknown): number {
  let value = NaN;
  if (typeof input === 'number') value = input;
  else if (typeof input === 'string') {
    const m = RATE.exec(input.replace(/\s+/g, ''));
    if (m) value = Number(m[1]) * RATE_UNIT_PER_MINUTE[m[2] as keyof typeof RATE_UNIT_PER_MINUTE];
  }
  if (!Number.isFinite(value) || value <= 0 || value > MAX_RATE_PER_MINUTE) {
    throw refuse(
      'EF_HUB_ROLLOUT_RATE',
      `rate ${shown(input)} is not like 100/min, 5/s or 600/h`,
      input,
    );
  }
  return value;
}

/**
 * Parses a duration: milliseconds as a number, or a string for `parseDuration` (`10m`).
 * Throws `code` (the protocol's `EF_PROTO_DURATION` becomes the option's own code).
 *
 * @example
 * parseDurationOption('10m', 'EF_HUB_ROLLOUT_SOAK', 'soak'); // 600000
 */
export function parseDurationOption(
  input: unknown,
  code: RolloutErrorCode,
  what: string,
  options: { positive?: boolean } = {},
): number {
  let ms = NaN;
  if (typeof input === 'number') ms = input;
  else {
    try {
      ms = parseDuration(input);
    } catch {
      // Reported below with the option's own code.
    }
  }
  if (!Number.isSafeInteger(ms) || ms < 0 || (options.positive === true && ms === 0)) {
    throw refuse(code, `${what} ${shown(input)} is not a duration like 10m, 30s or 500ms`, input);
  }
  return ms;
}
