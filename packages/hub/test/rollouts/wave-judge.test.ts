import { describe, expect, it } from 'vitest';
import { countStates, evaluateGate, judgeWave, parseGate } from '../../src/rollouts/index.js';
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import type {
  DeviceWindows,
  GateResult,
  JudgeInput,
  WindowStats,
} from '../../src/rollouts/index.js';

const options = { maxFailures: 0.1, minSuccess: 0.9, minReported: 3, soakMs: 1000 };

function input(states: DeviceDeploymentState[], extra: Partial<JudgeInput> = {}): JudgeInput {
  return {
    state: 'running',
    size: states.length,
    counts: countStates(states),
    soakStartedAt: null,
    now: 10_000,
    options,
    gates: [],
    ...extra,
  };
}

const many = (n: number, s: DeviceDeploymentState) => new Array<DeviceDeploymentState>(n).fill(s);

describe('judgeWave', () => {
  it('waits for minReported (capped at the wave size)', () => {
    expect(judgeWave(input([...many(2, 'failed'), ...many(8, 'downloading')]))).toEqual({
      kind: 'wait',
      reason: 'min-reported',
    });
    expect(judgeWave(input(['healthy', 'healthy'])).kind).toBe('start-soak');
  });

  it('fails above maxFailures counting failed, rolled-back and timed-out', () => {
    const d = judgeWave(input(['failed', 'rolled-back', 'timed-out', ...many(7, 'healthy')]));
    expect(d).toMatchObject({ kind: 'fail', code: 'max-failures' });
    expect(judgeWave(input(['failed', ...many(9, 'healthy')])).kind).toBe('start-soak');
  });

  it('fails on a gate breach', () => {
    const gate: GateResult = {
      gate: parseGate('error-rate<1%'),
      value: 0.2,
      status: 'fail',
      devices: 3,
    };
    expect(judgeWave(input(many(10, 'healthy'), { gates: [gate] }))).toMatchObject({
      kind: 'fail',
      code: 'gate',
    });
  });

  it('passes only after the soak, with gates measured', () => {
    const soaking = { state: 'soaking' as const, soakStartedAt: 9500 };
    expect(judgeWave(input(many(10, 'healthy'), soaking))).toEqual({
      kind: 'wait',
      reason: 'soaking',
    });
    expect(judgeWave(input(many(10, 'healthy'), { ...soaking, now: 10_500 }))).toEqual({
      kind: 'pass',
    });
    expect(judgeWave(input(many(10, 'healthy'), { ...soaking, now: 10_500, gates: null }))).toEqual(
      {
        kind: 'wait',
        reason: 'gates-pending',
      },
    );
  });

  it('stalls when every device is final below minSuccess, and waits while some are in flight', () => {
    const ended = ['failed', ...many(8, 'healthy'), 'timed-out'] as DeviceDeploymentState[];
    expect(judgeWave(input(ended, { options: { ...options, maxFailures: 0.5 } }))).toMatchObject({
      kind: 'stall',
      code: 'below-min-success',
    });
    const inFlight = ['failed', ...many(8, 'healthy'), 'downloading'] as DeviceDeploymentState[];
    expect(judgeWave(input(inFlight, { options: { ...options, maxFailures: 0.5 } }))).toEqual({
      kind: 'wait',
      reason: 'in-progress',
    });
  });

  it('passes an empty wave at once', () => {
    expect(judgeWave(input([]))).toEqual({ kind: 'pass' });
  });
});

const stats = (s: Partial<WindowStats>): WindowStats => ({
  requests: 100,
  errors: 0,
  p95LatencyMs: 10,
  drift: { total: 4, drifted: 0, maxScore: 0 },
  ...s,
});

describe('gates', () => {
  it('error-rate is Σ errors / Σ requests', () => {
    const w: DeviceWindows[] = [
      { deviceId: 'a', current: stats({ errors: 1 }), previous: null },
      { deviceId: 'b', current: stats({ errors: 3 }), previous: null },
    ];
    expect(evaluateGate(parseGate('error-rate<1%'), w)).toMatchObject({
      value: 0.02,
      status: 'fail',
      devices: 2,
    });
    expect(evaluateGate(parseGate('error-rate<5%'), w).status).toBe('pass');
  });

  it('p95 ratio is the median per-device ratio against the previous release, no data without one', () => {
    const w: DeviceWindows[] = [
      {
        deviceId: 'a',
        current: stats({ p95LatencyMs: 20 }),
        previous: stats({ p95LatencyMs: 10 }),
      },
      {
        deviceId: 'b',
        current: stats({ p95LatencyMs: 12 }),
        previous: stats({ p95LatencyMs: 10 }),
      },
      {
        deviceId: 'c',
        current: stats({ p95LatencyMs: 30 }),
        previous: stats({ p95LatencyMs: 10 }),
      },
      { deviceId: 'd', current: stats({ p95LatencyMs: 99 }), previous: null },
    ];
    expect(evaluateGate(parseGate('p95-latency<1.2x'), w)).toMatchObject({
      value: 2,
      status: 'fail',
      devices: 3,
    });
    expect(evaluateGate(parseGate('p95-latency<1.2x'), [w[3] as DeviceWindows]).status).toBe(
      'no-data',
    );
    expect(evaluateGate(parseGate('p95-latency<25ms'), w)).toMatchObject({
      value: 25,
      status: 'fail',
    });
  });

  it('drift is the share of drifted windows; drift-score the worst window', () => {
    const w: DeviceWindows[] = [
      {
        deviceId: 'a',
        current: stats({ drift: { total: 6, drifted: 3, maxScore: 0.75 } }),
        previous: null,
      },
      {
        deviceId: 'b',
        current: stats({ drift: { total: 2, drifted: 0, maxScore: 0.1 } }),
        previous: null,
      },
    ];
    expect(evaluateGate(parseGate('drift<0.25'), w)).toMatchObject({
      value: 0.375,
      status: 'fail',
    });
    expect(evaluateGate(parseGate('drift-score<0.8'), w)).toMatchObject({
      value: 0.75,
      status: 'pass',
    });
    expect(
      evaluateGate(parseGate('drift<0.25'), [{ deviceId: 'x', current: null, previous: null }])
        .status,
    ).toBe('no-data');
  });
});
