import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashOrder, planWaves } from '../../src/rollouts/index.js';
import { expectCode } from './fakes.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(4, '0')}`);

describe('wave planner', () => {
  it('orders devices by sha256(rolloutId + deviceId), the same on every call', () => {
    const devices = ids(200);
    const order = hashOrder('ro-aaaa', devices);
    expect(hashOrder('ro-aaaa', [...devices].reverse())).toEqual(order);
    const expected = [...devices].sort((a, b) => {
      const ha = createHash('sha256').update(`ro-aaaa${a}`).digest('hex');
      const hb = createHash('sha256').update(`ro-aaaa${b}`).digest('hex');
      return ha < hb ? -1 : 1;
    });
    expect(order).toEqual(expected);
  });

  it('orders differently for another rollout', () => {
    const devices = ids(200);
    const a = hashOrder('ro-aaaa', devices);
    const b = hashOrder('ro-bbbb', devices);
    expect(b).not.toEqual(a);
    expect(new Set(b)).toEqual(new Set(a));
    expect(planWaves('ro-aaaa', devices, [1, 100])[0]?.deviceIds).not.toEqual(
      planWaves('ro-bbbb', devices, [1, 100])[0]?.deviceIds,
    );
  });

  it('gives wave i the first ceil(p_i × N) devices minus the earlier waves', () => {
    const devices = ids(100);
    const plan = planWaves('ro-x', devices, [1, 10, 50, 100]);
    expect(plan.map((w) => w.deviceIds.length)).toEqual([1, 9, 40, 50]);
    expect(plan.flatMap((w) => w.deviceIds)).toEqual(hashOrder('ro-x', devices));
    expect(plan.map((w) => w.percent)).toEqual([1, 10, 50, 100]);
    // Small fleets: ceil keeps a canary, and a wave may be empty.
    expect(planWaves('ro-x', ids(10), [1, 10, 50, 100]).map((w) => w.deviceIds.length)).toEqual([
      1, 0, 4, 5,
    ]);
    expect(planWaves('ro-x', ids(30), [10, 100]).map((w) => w.deviceIds.length)).toEqual([3, 27]);
    expect(planWaves('ro-x', ids(1000), [0.5, 100]).map((w) => w.deviceIds.length)).toEqual([
      5, 995,
    ]);
  });

  it('plans explicit cohorts as given, each in hash order', () => {
    const devices = ids(6);
    const plan = planWaves('ro-x', devices, [['dev-0003'], ['dev-0000', 'dev-0001', 'dev-0005']]);
    expect(plan[0]?.deviceIds).toEqual(['dev-0003']);
    expect(new Set(plan[1]?.deviceIds)).toEqual(new Set(['dev-0000', 'dev-0001', 'dev-0005']));
    expect(plan[1]?.deviceIds).toEqual(hashOrder('ro-x', ['dev-0000', 'dev-0001', 'dev-0005']));
    expect(plan.map((w) => w.percent)).toEqual([null, null]);
  });

  it('refuses a cohort device outside the selection', async () => {
    await expectCode(
      () => planWaves('ro-x', ids(3), [['dev-0001'], ['dev-9999']]),
      'EF_HUB_ROLLOUT_COHORT_DEVICE',
    );
  });
});
