/**
 * Health gates as operators write them on the command line (`--gate "error-rate<1%"`), parsed
 * once into frozen {@link Gate} values. What each metric measures is defined in `gates.ts`.
 */
import { RolloutError } from './rollout-errors.js';

/** The metrics a gate can watch. */
export const GATE_METRICS = ['error-rate', 'p95-latency', 'drift', 'drift-score'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

/**
 * How a gate's value and limit are expressed: `share` is a fraction in [0, 1] (written `1%` or
 * `0.01`), `ratio` is new/previous (written `1.2x`), `ms` is an absolute latency.
 */
export type GateUnit = 'share' | 'ratio' | 'ms';

/** A parsed gate: the wave passes it while `value op limit` holds. */
export interface Gate {
  readonly metric: GateMetric;
  readonly op: '<' | '<=';
  readonly limit: number;
  readonly unit: GateUnit;
  /** The canonical expression, e.g. `error-rate<1%`; also how a gate is stored. */
  readonly expression: string;
}

const GRAMMAR = /^([a-z0-9-]+)(<=|<)(\d{1,9}(?:\.\d{1,9})?)(%|x|ms)?$/;
const MAX_EXPRESSION = 64;

function refuse(input: string, why: string): RolloutError {
  return new RolloutError('EF_HUB_ROLLOUT_GATE', `gate "${input}": ${why}`, { gate: input });
}

function unitOf(metric: GateMetric, suffix: string | undefined, input: string): GateUnit {
  switch (metric) {
    case 'p95-latency':
      if (suffix === 'ms') return 'ms';
      if (suffix === 'x') return 'ratio';
      throw refuse(input, 'p95-latency needs a ratio to the previous release (1.2x) or ms (250ms)');
    case 'error-rate':
    case 'drift':
    case 'drift-score':
      if (suffix === undefined || suffix === '%') return 'share';
      throw refuse(input, `${metric} is a share, written like 1% or 0.01`);
  }
}

/**
 * Parses one gate expression: `error-rate<1%`, `p95-latency<1.2x` (against the previous release
 * on the same devices), `p95-latency<250ms`, `drift<0.25` (share of drifted windows) or
 * `drift-score<0.5` (largest share of drifted features in one window); `<=` is accepted too.
 * Throws `EF_HUB_ROLLOUT_GATE`.
 *
 * @example
 * parseGate('error-rate<1%'); // { metric: 'error-rate', op: '<', limit: 0.01, unit: 'share', expression: 'error-rate<1%' }
 */
export function parseGate(input: unknown): Gate {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return parseGate(gateObjectText(input as Record<string, unknown>));
  }
  if (typeof input !== 'string') {
    throw new RolloutError('EF_HUB_ROLLOUT_GATE', `a gate must be a string, got ${typeof input}`);
  }
  const shown = input.slice(0, MAX_EXPRESSION);
  const text = input.replace(/\s+/g, '');
  const m = text.length <= MAX_EXPRESSION ? GRAMMAR.exec(text) : null;
  if (!m) throw refuse(shown, 'expected <metric><|<=><number>[%|x|ms], e.g. error-rate<1%');
  const [, name = '', op = '<', digits = '', suffix] = m;
  if (!(GATE_METRICS as readonly string[]).includes(name)) {
    throw refuse(shown, `unknown metric ${name}; known: ${GATE_METRICS.join(', ')}`);
  }
  const metric = name as GateMetric;
  const unit = unitOf(metric, suffix, shown);
  const number = Number(digits);
  const limit = suffix === '%' ? number / 100 : number;
  if (unit === 'share' && limit > 1) throw refuse(shown, 'a share cannot be above 100%');
  if (op === '<' && limit <= 0) throw refuse(shown, 'no value is below 0; use <= 0 for "none"');
  if (unit === 'ratio' && limit <= 0) throw refuse(shown, 'a latency ratio must be above 0');
  return Object.freeze({
    metric,
    op: op as Gate['op'],
    limit,
    unit,
    expression: `${metric}${op}${digits}${suffix ?? ''}`,
  });
}

/** Gates also arrive as JSON objects (HTTP API, stored options): rebuild their text. */
function gateObjectText(o: Record<string, unknown>): string {
  if (typeof o.expression === 'string') return o.expression;
  const { metric, op = '<', limit, unit } = o;
  if (typeof metric !== 'string' || typeof limit !== 'number' || !Number.isFinite(limit)) {
    throw new RolloutError(
      'EF_HUB_ROLLOUT_GATE',
      'a gate object needs a metric name and a finite numeric limit',
      { gate: o },
    );
  }
  const suffix = unit === 'ms' ? 'ms' : unit === 'ratio' || metric === 'p95-latency' ? 'x' : '';
  return `${metric}${String(op)}${limit}${suffix}`;
}

/**
 * True when a measured value satisfies the gate.
 *
 * @example
 * gateHolds(parseGate('drift<0.25'), 0.1); // true
 */
export function gateHolds(gate: Gate, value: number): boolean {
  return gate.op === '<' ? value < gate.limit : value <= gate.limit;
}
