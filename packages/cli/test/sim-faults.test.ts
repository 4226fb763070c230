/** The simulator's fault spec, device layout and status line: pure functions, no fleet. */
import { describe, expect, it } from 'vitest';

import { isEdgefleetError } from '@edgefleet/protocol';

import {
  assignFaults,
  describeFaults,
  faultApplies,
  parseFaultSpec,
} from '../src/sim/fault-spec.js';
import { fleetLayout } from '../src/sim/fleet-layout.js';
import { formatFleetLine, summarizeFleet } from '../src/sim/fleet-summary.js';
import type { SimDeviceSummary } from '../src/sim/fleet-summary.js';
import { resolveFleetOptions } from '../src/sim/fleet-options.js';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (isEdgefleetError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a coded error');
}

describe('fleetLayout', () => {
  it('spreads devices round-robin over sites with stable ids and tags', () => {
    const devices = fleetLayout(5, 2);
    expect(devices.map((d) => d.id)).toEqual([
      'sim-1-0001',
      'sim-2-0002',
      'sim-1-0003',
      'sim-2-0004',
      'sim-1-0005',
    ]);
    expect(devices[1]).toMatchObject({ site: 'site-2', tags: { site: 'site-2', fleet: 'sim' } });
    expect(fleetLayout(1, 1, 'bench')[0]!.id).toBe('bench-1-0001');
  });
});

describe('parseFaultSpec and assignFaults', () => {
  it('parses shares, sites and version scopes', () => {
    expect(parseFaultSpec(' fail-install=10%, slow=site-2 ,drift=2.5%@2.0.0,')).toEqual([
      { kind: 'fail-install', version: '*', share: 0.1 },
      { kind: 'slow', version: '*', site: 'site-2' },
      { kind: 'drift', version: '2.0.0', share: 0.025 },
    ]);
    expect(parseFaultSpec('')).toEqual([]);
  });

  it('refuses unknown kinds, bad targets and shares over 100% with EF_CLI_SIM_OPTIONS', () => {
    for (const spec of [
      'explode=10%',
      'slow',
      'slow=ten',
      'slow=150%',
      'drift=site-x',
      'slow=5%@',
    ]) {
      expect(
        codeOf(() => parseFaultSpec(spec)),
        spec,
      ).toBe('EF_CLI_SIM_OPTIONS');
    }
  });

  it('takes exactly round(share x fleet) devices, the same ones every time', () => {
    const devices = fleetLayout(50, 3);
    const once = assignFaults(devices, parseFaultSpec('fail-install=10%,slow=4%'));
    const again = assignFaults(devices, parseFaultSpec('fail-install=10%,slow=4%'));
    const failing = devices.filter((d) => faultApplies(once.get(d.id), 'fail-install', '1.0.0'));
    expect(failing).toHaveLength(5);
    expect(devices.filter((d) => faultApplies(once.get(d.id), 'slow', '1.0.0'))).toHaveLength(2);
    expect([...again.keys()].sort()).toEqual([...once.keys()].sort());
  });

  it('applies a site to all its devices and a version scope only to that version', () => {
    const devices = fleetLayout(6, 3);
    const faults = assignFaults(devices, parseFaultSpec('drift=site-3@2.0.0'));
    const site3 = devices.filter((d) => d.site === 'site-3');
    expect([...faults.keys()].sort()).toEqual(site3.map((d) => d.id).sort());
    const one = faults.get(site3[0]!.id);
    expect(faultApplies(one, 'drift', '2.0.0')).toBe(true);
    expect(faultApplies(one, 'drift', '1.0.0')).toBe(false);
    expect(faultApplies(one, 'slow', '2.0.0')).toBe(false);
    expect(describeFaults(one)).toEqual(['drift@2.0.0']);
    expect(codeOf(() => assignFaults(devices, parseFaultSpec('slow=site-9')))).toBe(
      'EF_CLI_SIM_OPTIONS',
    );
  });
});

describe('resolveFleetOptions', () => {
  it('fills in defaults and refuses bad values with EF_CLI_SIM_OPTIONS', () => {
    const base = { hubUrl: 'http://127.0.0.1:8080', token: 't', devices: 10, stateRoot: '/tmp/x' };
    expect(resolveFleetOptions(base)).toMatchObject({
      devices: 10,
      sites: 1,
      rate: 5,
      healthIntervalMs: 5000,
      probationMs: 10_000,
      driftWindow: 100,
      slowLatencyMs: 20,
    });
    const bad = [
      { ...base, devices: 0 },
      { ...base, devices: 2.5 },
      { ...base, sites: 11 },
      { ...base, rate: -1 },
      { ...base, hubUrl: 'mqtt://127.0.0.1:1883' },
      { ...base, token: '' },
      { ...base, driftWindow: 5 },
      { ...base, prefix: 'Bad Prefix' },
    ];
    for (const options of bad) {
      expect(
        codeOf(() => resolveFleetOptions(options)),
        JSON.stringify(options),
      ).toBe('EF_CLI_SIM_OPTIONS');
    }
  });
});

describe('formatFleetLine', () => {
  it('shows connections, versions, rate, errors, outbox and memory on one line', () => {
    const device = (
      id: string,
      version: string | undefined,
      predictions: number,
    ): SimDeviceSummary => ({
      id,
      site: 'site-1',
      faults: [],
      connected: version !== undefined,
      serving: version === undefined ? [] : [{ name: 'pm', version }],
      outboxDepth: 2,
      predictions,
      errors: version === '2.0.0' ? { EF_AGENT_BUSY: 3 } : {},
    });
    const pool = { workers: 2, outstanding: 0, crashes: 0, sessions: 2 };
    const before = {
      ...summarizeFleet([device('a', '1.0.0', 0), device('b', '2.0.0', 0)], pool),
      at: '2026-01-01T12:00:00.000Z',
    };
    const now = {
      ...summarizeFleet(
        [device('a', '1.0.0', 50), device('b', '2.0.0', 50), device('c', undefined, 0)],
        pool,
      ),
      at: '2026-01-01T12:00:05.000Z',
    };
    expect(now).toMatchObject({
      devices: 3,
      connected: 2,
      serving: { 'pm@1.0.0': 1, 'pm@2.0.0': 1, none: 1 },
      predictions: 100,
      predictionErrors: 3,
      outboxDepth: 6,
    });
    const line = formatFleetLine(now, before);
    expect(line).toMatch(
      /^12:00:05 {2}2\/3 connected {2}pm@1\.0\.0 1 · pm@2\.0\.0 1 · none 1 {2}20 pred\/s {2}errors 3 \(EF_AGENT_BUSY 3\) {2}outbox 6 {2}rss \d+ MB$/,
    );
  });
});
