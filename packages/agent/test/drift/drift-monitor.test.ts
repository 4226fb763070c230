import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Baseline, DriftRecordSchema, type EdgefleetError } from '@edgefleet/protocol';
import { buildBaseline, driftFeatureNames, WindowCounter } from '@edgefleet/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriftMonitor, type DriftModelSpec } from '../../src/drift/index.js';
import { MemorySink, seeded } from './drift-fixtures.js';

const WINDOW = 100;

/** A two-feature tabular model whose calibration data is uniform on [0, 1000). */
function tabularModel(version = '1.0.0'): DriftModelSpec {
  const random = seeded(7);
  const a = Array.from({ length: 1000 }, () => random() * 1000);
  const b = Array.from({ length: 1000 }, () => random() * 1000);
  const baseline = buildBaseline({
    features: [
      { name: 'a', values: a },
      { name: 'b', values: b },
    ],
    outputs: { kind: 'classes', predicted: a.map((x) => (x < 500 ? 0 : 1)), classCount: 2 },
    windowSize: WINDOW,
    bootstrap: { seed: 1 },
  });
  return {
    name: 'toy',
    version,
    baseline,
    preprocess: {
      kind: 'tabular',
      input: 'x',
      features: [
        { name: 'a', mean: 500, std: 288 },
        { name: 'b', mean: 500, std: 288 },
      ],
    },
  };
}

function uniformRows(n: number, seed: number, shiftA = 0): number[][] {
  const random = seeded(seed);
  return Array.from({ length: n }, () => [random() * 1000 + shiftA, random() * 1000]);
}

/** A clock the test moves by hand. */
function clock(start = Date.parse('2025-06-01T00:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ef-drift-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('DriftMonitor windows', () => {
  it('closes a window every window-size rows, splitting batches, with counts that add up', () => {
    const sink = new MemorySink();
    const monitor = new DriftMonitor({ reports: sink });
    const model = tabularModel();
    monitor.track(model);
    const rows = uniformRows(250, 3);
    const outputs = rows.map((r) => ((r[0] as number) < 500 ? 0 : 1));
    // Batches of 30 straddle window boundaries.
    for (let i = 0; i < rows.length; i += 30) {
      monitor.observe('toy', '1.0.0', rows.slice(i, i + 30), outputs.slice(i, i + 30));
    }
    const records = sink.of('drift');
    expect(records.map((r) => r['count'])).toEqual([WINDOW, WINDOW]);
    expect(monitor.openWindow('toy')?.count).toBe(50);
    for (const r of records) {
      expect(DriftRecordSchema.parse(r)).toBeTruthy();
      expect(r['closedBy']).toBe('count');
      expect(r['drifted']).toBe(false);
      expect((r['scores'] as unknown[]).length).toBe(2);
    }
    // Counts merge by addition: the two windows equal one counter over their 200 rows.
    const whole = new WindowCounter(model.baseline);
    whole.addRows(rows.slice(0, 200), outputs.slice(0, 200));
    const expected = whole.snapshot();
    const sum = (i: number) =>
      records
        .map((r) => (r['features'] as { counts: number[] }[])[i]?.counts ?? [])
        .reduce((acc, c) => acc.map((x, k) => x + (c[k] ?? 0)));
    expect(sum(0)).toEqual(expected.features[0]?.counts);
    expect(sum(1)).toEqual(expected.features[1]?.counts);
  });

  it('closes a quiet window at the time cap with counts but no scores', () => {
    const sink = new MemorySink();
    const time = clock();
    const monitor = new DriftMonitor({ reports: sink, window: { ms: 60_000 }, now: time.now });
    monitor.track(tabularModel());
    monitor.observe('toy', '1.0.0', uniformRows(10, 4));
    time.advance(59_999);
    monitor.tick();
    expect(sink.of('drift')).toHaveLength(0);
    time.advance(1);
    monitor.tick();
    const [record] = sink.of('drift');
    expect(DriftRecordSchema.parse(record)).toBeTruthy();
    expect(record).toMatchObject({
      count: 10,
      closedBy: 'time',
      windowStart: '2025-06-01T00:00:00.000Z',
      windowEnd: '2025-06-01T00:01:00.000Z',
    });
    expect(record?.['scores']).toBeUndefined();
    expect(record?.['drifted']).toBeUndefined();
    // An empty window is not reported.
    time.advance(120_000);
    monitor.tick();
    expect(sink.of('drift')).toHaveLength(1);
  });

  it('flags the shifted feature and names it', () => {
    const sink = new MemorySink();
    const monitor = new DriftMonitor({ reports: sink });
    monitor.track(tabularModel());
    monitor.observe('toy', '1.0.0', uniformRows(WINDOW, 5, 400));
    const [record] = sink.of('drift');
    expect(record?.['drifted']).toBe(true);
    expect(record?.['driftedFeatures']).toEqual(['a']);
    expect(record?.['driftedShare']).toBe(0.5);
    expect(monitor.stats()).toMatchObject({ windows: 1, drifted: 1 });
  });

  it('counts named records and missing cells like the compiler did (raw values, NaN missing)', () => {
    const sink = new MemorySink();
    const monitor = new DriftMonitor({ reports: sink, window: { count: 3 }, minScoredCount: 1000 });
    monitor.track(tabularModel());
    monitor.observe('toy', '1.0.0', [{ a: 10, b: null }, { b: '20.5', a: '' }, [5, 'x']]);
    const [record] = sink.of('drift') as { features: { counts: number[]; missing: number }[] }[];
    expect(record?.features.map((f) => f.missing)).toEqual([1, 2]);
    expect(record?.features.map((f) => f.counts.reduce((a, b) => a + b))).toEqual([2, 1]);
  });

  it('refuses a batch that does not fit, ignores untracked models, and never throws', () => {
    const sink = new MemorySink();
    const errors: EdgefleetError[] = [];
    const monitor = new DriftMonitor({ reports: sink, onError: (e) => errors.push(e) });
    monitor.track(tabularModel());
    monitor.observe('toy', '1.0.0', [[1, 2, 3]]);
    monitor.observe('toy', '1.0.0', [[1, 2]], [7]);
    monitor.observe('toy', '1.0.0', [[1, 2]], [0, 1]);
    monitor.observe('toy', '1.0.0', { data: new Float32Array(2), dims: [1, 2] });
    monitor.observe('toy', '1.0.0', [null as unknown as number[]]);
    monitor.observe('toy', '2.0.0', [[1, 2]]);
    monitor.observe('other', '1.0.0', [[1, 2]]);
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('EF_AGENT_DRIFT_INPUT'));
    expect(monitor.openWindow('toy')?.count).toBe(0);
    expect(monitor.stats()).toMatchObject({ badBatches: 5, ignoredRows: 2 });
  });

  it('refuses a baseline that does not fit the preprocessing', () => {
    const monitor = new DriftMonitor({ reports: new MemorySink() });
    const model = tabularModel();
    const renamed = {
      ...model,
      preprocess: {
        ...model.preprocess,
        features: [
          { name: 'b', mean: 0, std: 1 },
          { name: 'a', mean: 0, std: 1 },
        ],
      },
    } as DriftModelSpec;
    expect(() => monitor.track(renamed)).toThrow(
      expect.objectContaining({ code: 'EF_AGENT_DRIFT_BASELINE' }),
    );
  });

  it('closes the old version window when a new version is tracked', () => {
    const sink = new MemorySink();
    const monitor = new DriftMonitor({ reports: sink });
    monitor.track(tabularModel('1.0.0'));
    monitor.observe('toy', '1.0.0', uniformRows(20, 6));
    monitor.track(tabularModel('1.0.0'));
    expect(sink.of('drift')).toHaveLength(0);
    monitor.track(tabularModel('1.1.0'));
    expect(sink.of('drift')).toMatchObject([{ version: '1.0.0', count: 20, closedBy: 'replaced' }]);
    expect(monitor.openWindow('toy')).toMatchObject({ version: '1.1.0', count: 0 });
  });

  it('counts tensor models on driftFeatureRows of the preprocessed tensor', () => {
    const spec = { kind: 'tensor', input: 'x' } as const;
    const names = driftFeatureNames(spec, ['batch', 1, 4]);
    const random = seeded(9);
    const baseline: Baseline = buildBaseline({
      features: names.map((name) => ({
        name,
        values: Array.from({ length: 200 }, () => random()),
      })),
      outputs: { kind: 'regression', values: Array.from({ length: 200 }, () => random()) },
      windowSize: 10,
    });
    const sink = new MemorySink();
    const monitor = new DriftMonitor({ reports: sink });
    monitor.track({
      name: 'vib',
      version: '0.1.0',
      baseline,
      preprocess: spec,
      inputShape: ['batch', 1, 4],
    });
    const data = Float32Array.from({ length: 40 }, () => random());
    monitor.observe(
      'vib',
      '0.1.0',
      { data, dims: [10, 1, 4] },
      Array.from({ length: 10 }, () => random()),
    );
    const [record] = sink.of('drift');
    expect(DriftRecordSchema.parse(record)).toMatchObject({ count: 10 });
    expect((record?.['features'] as { name: string }[]).map((f) => f.name)).toEqual([
      'c0_mean',
      'c0_std',
    ]);
  });
});

describe('DriftMonitor checkpoint', () => {
  it('carries an open window over a restart and reports it once', () => {
    const time = clock();
    const first = new MemorySink();
    const a = new DriftMonitor({ reports: first, stateDir: dir, now: time.now });
    a.track(tabularModel());
    a.observe('toy', '1.0.0', uniformRows(30, 10));
    a.stop();
    expect(first.of('drift')).toHaveLength(0);

    time.advance(5_000);
    const second = new MemorySink();
    const b = new DriftMonitor({ reports: second, stateDir: dir, now: time.now });
    b.track(tabularModel());
    expect(b.openWindow('toy')?.count).toBe(30);
    b.observe('toy', '1.0.0', uniformRows(70, 11));
    expect(second.of('drift')).toMatchObject([
      { count: WINDOW, windowStart: '2025-06-01T00:00:00.000Z', closedBy: 'count' },
    ]);
    // The closed counts left the checkpoint: a third start has nothing to carry.
    const c = new DriftMonitor({ reports: new MemorySink(), stateDir: dir });
    c.track(tabularModel());
    expect(c.openWindow('toy')?.count).toBe(0);
  });

  it('drops a checkpoint of another version, and a damaged one with a coded error', () => {
    const a = new DriftMonitor({ reports: new MemorySink(), stateDir: dir });
    a.track(tabularModel('1.0.0'));
    a.observe('toy', '1.0.0', uniformRows(30, 12));
    a.stop();
    const b = new DriftMonitor({ reports: new MemorySink(), stateDir: dir });
    b.track(tabularModel('1.1.0'));
    expect(b.openWindow('toy')?.count).toBe(0);

    writeFileSync(join(dir, 'drift-windows.json'), '{not json');
    const errors: EdgefleetError[] = [];
    const c = new DriftMonitor({
      reports: new MemorySink(),
      stateDir: dir,
      onError: (e) => errors.push(e),
    });
    c.track(tabularModel());
    expect(errors.map((e) => e.code)).toEqual(['EF_AGENT_DRIFT_CHECKPOINT']);
    expect(c.openWindow('toy')?.count).toBe(0);
  });

  it('appends open windows on stop when there is no state folder', () => {
    const sink = new MemorySink();
    const monitor = new DriftMonitor({ reports: sink });
    monitor.track(tabularModel());
    monitor.observe('toy', '1.0.0', uniformRows(5, 13));
    monitor.stop();
    expect(sink.of('drift')).toMatchObject([{ count: 5, closedBy: 'stop' }]);
  });

  it('refuses bad options with a coded error', () => {
    for (const window of [{ count: 0 }, { count: 1.5 }, { ms: 0 }]) {
      expect(() => new DriftMonitor({ reports: new MemorySink(), window })).toThrow(
        expect.objectContaining({ code: 'EF_AGENT_DRIFT_OPTIONS' }),
      );
    }
  });
});
