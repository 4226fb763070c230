import { describe, expect, it } from 'vitest';
import { createHubMetrics } from '../../src/metrics/hub-metrics.js';
import { MetricsRegistry } from '../../src/metrics/metrics-registry.js';

describe('MetricsRegistry', () => {
  it('renders counters and gauges with labels in the Prometheus text format', () => {
    const r = new MetricsRegistry();
    const c = r.counter('ef_test_total', 'A "test"\ncounter.', ['reason']);
    const g = r.gauge('ef_gauge', 'A gauge.');
    c.inc({ reason: 'schema' });
    c.inc({ reason: 'schema' }, 2);
    c.inc({ reason: 'a"b\\c\nd' });
    c.inc({ reason: 'schema' }, -5);
    g.set(7);
    g.set(3);
    expect(r.text()).toBe(
      [
        '# HELP ef_test_total A "test"\\ncounter.',
        '# TYPE ef_test_total counter',
        'ef_test_total{reason="schema"} 3',
        'ef_test_total{reason="a\\"b\\\\c\\nd"} 1',
        '# HELP ef_gauge A gauge.',
        '# TYPE ef_gauge gauge',
        'ef_gauge 3',
        '',
      ].join('\n'),
    );
    expect(c.get({ reason: 'schema' })).toBe(3);
    expect(() => r.counter('ef_gauge', 'again')).toThrow();
    expect(() => r.counter('bad name', 'x')).toThrow();
  });

  it('exposes the hub metrics with zero values before any traffic', () => {
    const text = createHubMetrics().text();
    for (const name of [
      'edgefleet_hub_devices_online 0',
      'edgefleet_hub_telemetry_stored_total 0',
      'edgefleet_hub_blob_bytes_served_total 0',
      'edgefleet_hub_ingest_lag_ms 0',
      '# TYPE edgefleet_hub_rejects_total counter',
      '# TYPE edgefleet_hub_messages_in_total counter',
    ]) {
      expect(text).toContain(name);
    }
  });
});
