import { InferenceRecordSchema } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';
import { InferenceSummary } from '../../src/health/index.js';
import { MemorySink, seeded } from '../drift/drift-fixtures.js';

function clock(start = Date.parse('2025-06-01T00:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('InferenceSummary', () => {
  it('appends one schema-valid record per model version and window', () => {
    const sink = new MemorySink();
    const time = clock();
    const summary = new InferenceSummary({ reports: sink, now: time.now });
    for (let i = 1; i <= 100; i++) {
      summary.record('pm', '1.0.0', { rows: 2, latencyMs: i, classes: [0, i % 3] });
    }
    summary.record('pm', '1.0.0', { rows: 0, latencyMs: 5, error: true });
    summary.record('house', '2.0.0', { rows: 3, latencyMs: 1, values: [100.5, 250, -3] });
    time.advance(60_000);
    const records = summary.flush();
    expect(sink.of('inference')).toEqual(JSON.parse(JSON.stringify(records)));
    const [pm, house] = records.map((r) => InferenceRecordSchema.parse(r));
    expect(pm).toMatchObject({
      model: 'pm',
      version: '1.0.0',
      windowStart: '2025-06-01T00:00:00.000Z',
      windowEnd: '2025-06-01T00:01:00.000Z',
      count: 200,
      errors: 1,
      requests: 101,
      outputs: { counts: [100 + 33, 34, 33] },
    });
    // 1..100 ms plus the failed request (5 ms): 101 latencies, the median is 50.
    expect(pm?.latencyMs.p50).toBe(50);
    expect(pm?.latencyMs.p99).toBeGreaterThan(pm?.latencyMs.p95 ?? Infinity);
    expect(house).toMatchObject({
      count: 3,
      errors: 0,
      outputs: { mean: 115.83333333333333, min: -3, max: 250 },
    });
    // The next window starts empty.
    expect(summary.flush()).toEqual([]);
  });

  it('keeps a bounded reservoir of latencies', () => {
    const sink = new MemorySink();
    const summary = new InferenceSummary({ reports: sink, latencySamples: 64, random: seeded(3) });
    for (let i = 0; i < 10_000; i++) summary.record('pm', '1.0.0', { rows: 1, latencyMs: i % 100 });
    const [record] = summary.flush();
    expect(record?.count).toBe(10_000);
    // Uniform 0..99: a 64-sample reservoir puts the median near 50.
    expect(record?.latencyMs.p50).toBeGreaterThan(25);
    expect(record?.latencyMs.p50).toBeLessThan(75);
  });

  it('appends open windows on stop and refuses bad options', () => {
    const sink = new MemorySink();
    const summary = new InferenceSummary({ reports: sink, windowMs: 100 });
    summary.start();
    summary.record('pm', '1.0.0', { rows: 1, latencyMs: 1 });
    summary.stop();
    expect(sink.of('inference').length).toBeGreaterThanOrEqual(1);
    for (const windowMs of [0, 99, Number.NaN]) {
      expect(() => new InferenceSummary({ reports: sink, windowMs })).toThrow(
        expect.objectContaining({ code: 'EF_AGENT_HEALTH_OPTIONS' }),
      );
    }
  });
});
