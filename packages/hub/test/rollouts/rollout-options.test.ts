import { describe, expect, it } from 'vitest';
import {
  parseGate,
  parseRate,
  parseRolloutOptions,
  parseWaves,
  ROLLOUT_DEFAULTS,
  rolloutOptionsToJson,
} from '../../src/rollouts/index.js';
import { expectCode } from './fakes.js';

const base = {
  release: 'pm-mlp@1.1.0',
  selector: 'site=plant-a,hw=rpi5',
  waves: '1,10,50,100',
  soakMs: '10m',
};

describe('parseRolloutOptions', () => {
  it('parses the CLI strings into frozen options with defaults', () => {
    const o = parseRolloutOptions({
      ...base,
      maxFailures: '5%',
      minSuccess: '95%',
      minReported: '3',
      gates: ['error-rate<1%', 'p95-latency < 1.2x', 'drift<0.25'],
      ratePerMinute: '100/min',
      onFailure: 'rollback',
      deviceTimeoutMs: '20m',
    });
    expect(o).toMatchObject({
      release: { name: 'pm-mlp', version: '1.1.0' },
      selector: { site: 'plant-a', hw: 'rpi5' },
      waves: [1, 10, 50, 100],
      soakMs: 600_000,
      maxFailures: 0.05,
      minSuccess: 0.95,
      minReported: 3,
      ratePerMinute: 100,
      onFailure: 'rollback',
      deviceTimeoutMs: 1_200_000,
    });
    expect(o.gates.map((g) => [g.metric, g.op, g.limit, g.unit])).toEqual([
      ['error-rate', '<', 0.01, 'share'],
      ['p95-latency', '<', 1.2, 'ratio'],
      ['drift', '<', 0.25, 'share'],
    ]);
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.waves)).toBe(true);
    expect(Object.isFrozen(o.gates[0])).toBe(true);
  });

  it('fills defaults and accepts API numbers, objects and cohorts', () => {
    const o = parseRolloutOptions({
      release: { name: 'pm-mlp', version: '2.0.0-rc.1' },
      selector: {},
      waves: [['dev-1'], ['dev-2', 'dev-3']],
      soakMs: 0,
      maxFailures: 0,
      gates: [{ metric: 'drift-score', op: '<=', limit: 0.5 }],
    });
    expect(o.waves).toEqual([['dev-1'], ['dev-2', 'dev-3']]);
    expect(o.selector).toEqual({});
    expect(o.maxFailures).toBe(0);
    expect(o.minSuccess).toBe(ROLLOUT_DEFAULTS.minSuccess);
    expect(o.ratePerMinute).toBe(ROLLOUT_DEFAULTS.ratePerMinute);
    expect(o.onFailure).toBe('pause');
    expect(o.gates[0]?.expression).toBe('drift-score<=0.5');
  });

  it('round-trips through its stored JSON form', () => {
    const o = parseRolloutOptions({ ...base, gates: ['p95-latency<250ms', 'error-rate<=0.5%'] });
    const again = parseRolloutOptions(JSON.parse(JSON.stringify(rolloutOptionsToJson(o))));
    expect(again).toEqual(o);
  });

  it.each([
    [null, 'EF_HUB_ROLLOUT_OPTIONS'],
    [{ ...base, soak: '10m' }, 'EF_HUB_ROLLOUT_OPTIONS'],
    [
      { release: base.release, selector: base.selector, waves: base.waves },
      'EF_HUB_ROLLOUT_OPTIONS',
    ],
    [{ ...base, release: 'pm-mlp' }, 'EF_HUB_ROLLOUT_RELEASE'],
    [{ ...base, release: 'PM MLP@1.0.0' }, 'EF_HUB_ROLLOUT_RELEASE'],
    [{ ...base, release: 'pm-mlp@1.0' }, 'EF_HUB_ROLLOUT_RELEASE'],
    [{ ...base, selector: 'site' }, 'EF_HUB_ROLLOUT_SELECTOR'],
    [{ ...base, selector: '' }, 'EF_HUB_ROLLOUT_SELECTOR'],
    [{ ...base, selector: 'site=a,site=b' }, 'EF_HUB_ROLLOUT_SELECTOR'],
    [{ ...base, selector: { 'bad key': 'x' } }, 'EF_HUB_ROLLOUT_SELECTOR'],
    [{ ...base, selector: 42 }, 'EF_HUB_ROLLOUT_SELECTOR'],
    [{ ...base, waves: '10,1,100' }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: '1,10,50' }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: '0,100' }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: '50,150' }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: [] }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: [10, ['dev-1']] }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: [['dev-1'], []] }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: [['dev-1'], ['dev-1']] }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, waves: 'dev-1;Not/An/Id' }, 'EF_HUB_ROLLOUT_WAVES'],
    [{ ...base, soakMs: '10 minutes' }, 'EF_HUB_ROLLOUT_SOAK'],
    [{ ...base, soakMs: -1 }, 'EF_HUB_ROLLOUT_SOAK'],
    [{ ...base, maxFailures: '5' }, 'EF_HUB_ROLLOUT_MAX_FAILURES'],
    [{ ...base, maxFailures: '120%' }, 'EF_HUB_ROLLOUT_MAX_FAILURES'],
    [{ ...base, minSuccess: 1.5 }, 'EF_HUB_ROLLOUT_MIN_SUCCESS'],
    [{ ...base, minSuccess: 'most' }, 'EF_HUB_ROLLOUT_MIN_SUCCESS'],
    [{ ...base, minReported: 0 }, 'EF_HUB_ROLLOUT_MIN_REPORTED'],
    [{ ...base, minReported: '2.5' }, 'EF_HUB_ROLLOUT_MIN_REPORTED'],
    [{ ...base, gates: ['latency<2x'] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, gates: ['error-rate>1%'] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, gates: ['error-rate<1x'] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, gates: ['p95-latency<1.2'] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, gates: ['drift<125%'] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, gates: ['error-rate<0%'] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, gates: ['drift<0.2', 'drift<0.2'] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, gates: [7] }, 'EF_HUB_ROLLOUT_GATE'],
    [{ ...base, ratePerMinute: '100' }, 'EF_HUB_ROLLOUT_RATE'],
    [{ ...base, ratePerMinute: '100/day' }, 'EF_HUB_ROLLOUT_RATE'],
    [{ ...base, ratePerMinute: 0 }, 'EF_HUB_ROLLOUT_RATE'],
    [{ ...base, onFailure: 'abort' }, 'EF_HUB_ROLLOUT_ON_FAILURE'],
    [{ ...base, deviceTimeoutMs: '0s' }, 'EF_HUB_ROLLOUT_DEVICE_TIMEOUT'],
    [{ ...base, deviceTimeoutMs: 'soon' }, 'EF_HUB_ROLLOUT_DEVICE_TIMEOUT'],
  ])('refuses %j with %s', async (input, code) => {
    await expectCode(() => parseRolloutOptions(input), code);
  });
});

describe('option values', () => {
  it('reads waves as percentages or cohorts', () => {
    expect(parseWaves('1%, 10%, 100%')).toEqual([1, 10, 100]);
    expect(parseWaves('0.5,100')).toEqual([0.5, 100]);
    expect(parseWaves('canary-1;canary-2,canary-3')).toEqual([
      ['canary-1'],
      ['canary-2', 'canary-3'],
    ]);
    expect(parseWaves('7,8;')).toEqual([['7', '8']]);
  });

  it('reads rates per second, minute and hour', () => {
    expect(parseRate('5/s')).toBe(300);
    expect(parseRate('100/min')).toBe(100);
    expect(parseRate('30/h')).toBe(0.5);
    expect(parseRate(42)).toBe(42);
  });

  it('reads every gate form', () => {
    expect(parseGate('p95-latency<250ms')).toMatchObject({ unit: 'ms', limit: 250 });
    expect(parseGate('drift-score<=50%')).toMatchObject({ op: '<=', limit: 0.5, unit: 'share' });
    expect(parseGate('error-rate<=0%')).toMatchObject({ op: '<=', limit: 0 });
    expect(parseGate({ expression: 'drift<0.1' }).limit).toBe(0.1);
  });
});
