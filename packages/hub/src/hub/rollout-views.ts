/**
 * Between the rollout engine and the API: a {@link CreateRolloutRequest} (the CLI's flag names)
 * becomes the engine's options, and the engine's records (ms timestamps, parsed gates) become
 * the API's views (ISO timestamps, gate expressions), like every other view of the API.
 */
import type {
  CreateRolloutRequest,
  RolloutEventView,
  RolloutProgressView,
  RolloutView,
} from '../api/hub-api.js';
import { RolloutError } from '../rollouts/index.js';
import type {
  RolloutEventRecord,
  RolloutOptionsInput,
  RolloutRecord,
  RolloutStatusView,
} from '../rollouts/index.js';

/** Request field -> engine option. */
const FIELDS = {
  release: 'release',
  selector: 'selector',
  waves: 'waves',
  soak: 'soakMs',
  maxFailures: 'maxFailures',
  minSuccess: 'minSuccess',
  minReported: 'minReported',
  gates: 'gates',
  rate: 'ratePerMinute',
  onFailure: 'onFailure',
  deviceTimeout: 'deviceTimeoutMs',
} as const satisfies Record<keyof CreateRolloutRequest, keyof RolloutOptionsInput>;
const REQUIRED = ['release', 'selector', 'waves', 'soak'] as const;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/**
 * The engine's options input for a request; the engine checks every value. Throws
 * `EF_HUB_ROLLOUT_OPTIONS` for a request that is not an object, names an unknown field or
 * misses a required one.
 *
 * @example
 * rolloutOptionsInput({ release: 'pm@1.1.0', selector: 'site=a', waves: '10,100', soak: '10m' });
 * // { release: 'pm@1.1.0', selector: 'site=a', waves: '10,100', soakMs: '10m' }
 */
export function rolloutOptionsInput(request: unknown): RolloutOptionsInput {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new RolloutError('EF_HUB_ROLLOUT_OPTIONS', 'a rollout request must be an object');
  }
  const fields = request as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !Object.hasOwn(FIELDS, k));
  if (unknown.length > 0) {
    throw new RolloutError(
      'EF_HUB_ROLLOUT_OPTIONS',
      `unknown rollout field(s): ${unknown.slice(0, 5).join(', ')}; known: ${Object.keys(FIELDS).join(', ')}`,
    );
  }
  const missing = REQUIRED.filter((k) => fields[k] === undefined);
  if (missing.length > 0) {
    throw new RolloutError(
      'EF_HUB_ROLLOUT_OPTIONS',
      `missing rollout field(s): ${missing.join(', ')}`,
    );
  }
  const input: Record<string, unknown> = {};
  for (const [field, option] of Object.entries(FIELDS)) {
    if (fields[field] !== undefined) input[option] = fields[field];
  }
  return input as unknown as RolloutOptionsInput;
}

/**
 * A rollout as the API shows it.
 *
 * @example
 * rolloutView(await engine.get(id)).options.gates; // ['error-rate<1%']
 */
export function rolloutView(r: RolloutRecord): RolloutView {
  const o = r.options;
  return {
    id: r.id,
    state: r.state,
    options: {
      release: { name: o.release.name, version: o.release.version },
      selector: { ...o.selector },
      waves: o.waves.map((w) => (Array.isArray(w) ? [...(w as string[])] : w)) as
        number[] | string[][],
      soakMs: o.soakMs,
      maxFailures: o.maxFailures,
      minSuccess: o.minSuccess,
      minReported: o.minReported,
      gates: o.gates.map((g) => g.expression),
      ratePerMinute: o.ratePerMinute,
      onFailure: o.onFailure,
      deviceTimeoutMs: o.deviceTimeoutMs,
    },
    currentWave: r.currentWave,
    reason: r.reason === null ? null : { ...r.reason },
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    startedAt: isoOrNull(r.startedAt),
    finishedAt: isoOrNull(r.finishedAt),
  };
}

/**
 * The status view as the API shows it.
 *
 * @example
 * progressView(await engine.status(id)).waves[0]?.gates[0]?.status; // 'pass'
 */
export function progressView(v: RolloutStatusView): RolloutProgressView {
  const units = new Map(v.rollout.options.gates.map((g) => [g.expression, g.unit]));
  return {
    rollout: rolloutView(v.rollout),
    now: iso(v.now),
    devices: { total: v.devices.total, notified: v.devices.notified, counts: v.devices.counts },
    waves: v.waves.map((w) => ({
      index: w.index,
      state: w.state,
      size: w.size,
      percent: w.percent,
      startedAt: isoOrNull(w.startedAt),
      soakStartedAt: isoOrNull(w.soakStartedAt),
      finishedAt: isoOrNull(w.finishedAt),
      reason: w.reason === null ? null : { ...w.reason },
      counts: w.counts,
      metrics: w.metrics,
      soakRemainingMs: w.soakRemainingMs,
      gates: w.gates.map((g) => ({
        gate: g.gate,
        unit: units.get(g.gate) ?? 'share',
        value: g.value,
        limit: g.limit,
        status: g.status,
        devices: g.devices,
        evaluatedAt: isoOrNull(g.evaluatedAt),
      })),
    })),
    rollback: v.rollback === null ? null : { ...v.rollback },
  };
}

/**
 * An event as the API shows it.
 *
 * @example
 * (await engine.events(id)).map(eventView);
 */
export function eventView(e: RolloutEventRecord): RolloutEventView {
  return {
    id: e.id,
    rolloutId: e.rolloutId,
    ts: iso(e.ts),
    type: e.type,
    wave: e.wave,
    deviceId: e.deviceId,
    data: e.data,
  };
}
