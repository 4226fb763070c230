import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthRecordSchema } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CpuSampler,
  type HealthError,
  HealthReporter,
  modelsFromHost,
} from '../../src/health/index.js';
import type { ModelHost, ModelStats } from '../../src/inference/model-host-api.js';
import { MemorySink } from '../drift/drift-fixtures.js';

/** The part of a ModelHost the reporter reads. */
function fakeHost(models: Record<string, { version: string; stats?: ModelStats }>): ModelHost {
  return {
    list: () =>
      Object.entries(models).map(([name, m]) => ({
        name,
        version: m.version,
        sha256: 'a'.repeat(64),
      })),
    stats: (name: string) => models[name]?.stats,
  } as unknown as ModelHost;
}

const OUTBOX = { depth: 12, bytes: 3456, dropped: 1, expired: 2 };

async function poll(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let reporter: HealthReporter | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ef-health-'));
});
afterEach(() => {
  reporter?.stop();
  reporter = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('HealthReporter', () => {
  it('appends a schema-valid health record with every figure', async () => {
    const sink = new MemorySink();
    const host = fakeHost({
      pm: {
        version: '1.2.0',
        stats: { requests: 40, errors: 2, latencyMs: { p50: 0.4, p95: 1.1, p99: 2.5 } },
      },
      idle: { version: '0.1.0' },
    });
    reporter = new HealthReporter({
      reports: sink,
      models: modelsFromHost(host),
      outbox: () => OUTBOX,
      stateDir: dir,
      now: () => Date.parse('2025-06-01T12:00:00Z'),
    });
    const record = await reporter.collect();
    expect(sink.of('health')).toEqual([JSON.parse(JSON.stringify(record))]);
    const parsed = HealthRecordSchema.parse(sink.of('health')[0]);
    expect(parsed.ts).toBe('2025-06-01T12:00:00.000Z');
    expect(parsed.uptimeS).toBeGreaterThan(0);
    expect(parsed.cpu).toBeGreaterThanOrEqual(0);
    expect(parsed.cpu).toBeLessThanOrEqual(1);
    expect(parsed.memory.rss).toBeGreaterThan(0);
    expect(parsed.memory.total).toBeGreaterThanOrEqual(parsed.memory.free);
    expect(parsed.disk.total).toBeGreaterThan(0);
    expect(parsed.disk.free).toBeLessThanOrEqual(parsed.disk.total);
    expect(parsed.outbox).toEqual(OUTBOX);
    expect(parsed.models).toEqual([
      {
        name: 'pm',
        version: '1.2.0',
        requests: 40,
        errors: 2,
        latencyMs: { p50: 0.4, p95: 1.1, p99: 2.5 },
      },
      {
        name: 'idle',
        version: '0.1.0',
        requests: 0,
        errors: 0,
        latencyMs: { p50: 0, p95: 0, p99: 0 },
      },
    ]);
    expect(record).not.toHaveProperty('errors');
  });

  it('reports what it can when a figure cannot be read', async () => {
    const sink = new MemorySink();
    const errors: HealthError[] = [];
    reporter = new HealthReporter({
      reports: sink,
      models: () => {
        throw new Error('host is gone');
      },
      outbox: () => OUTBOX,
      stateDir: join(dir, 'missing'),
      onError: (e) => errors.push(e),
    });
    const record = await reporter.collect();
    expect(HealthRecordSchema.parse(record)).toMatchObject({
      disk: { free: 0, total: 0 },
      models: [],
    });
    expect(record).toMatchObject({ errors: ['disk', 'models'] });
    expect(errors.map((e) => e.code)).toEqual([
      'EF_AGENT_HEALTH_COLLECT',
      'EF_AGENT_HEALTH_COLLECT',
    ]);
    expect(sink.of('health')).toHaveLength(1);
  });

  it('does not append a record that breaks the schema', async () => {
    const sink = new MemorySink();
    const errors: HealthError[] = [];
    reporter = new HealthReporter({
      reports: sink,
      models: () => [{ name: 'Not A Slug', version: '1.0.0', stats: undefined }],
      outbox: () => OUTBOX,
      stateDir: dir,
      onError: (e) => errors.push(e),
    });
    await reporter.collect();
    expect(errors.map((e) => e.code)).toEqual(['EF_AGENT_HEALTH_RECORD']);
    expect(sink.of('health')).toHaveLength(0);
  });

  it('appends on its interval once started', async () => {
    const sink = new MemorySink();
    reporter = new HealthReporter({
      reports: sink,
      models: () => [],
      outbox: () => OUTBOX,
      stateDir: dir,
      intervalMs: 100,
    });
    reporter.start();
    await poll(() => sink.of('health').length >= 2);
    for (const r of sink.of('health')) expect(HealthRecordSchema.safeParse(r).success).toBe(true);
  });

  it('refuses bad options with a coded error', () => {
    const base = {
      reports: new MemorySink(),
      models: () => [],
      outbox: () => OUTBOX,
      stateDir: dir,
    };
    for (const bad of [{ intervalMs: 5 }, { models: 'x' }, { stateDir: undefined }]) {
      expect(() => new HealthReporter({ ...base, ...bad } as never)).toThrow(
        expect.objectContaining({ code: 'EF_AGENT_HEALTH_OPTIONS' }),
      );
    }
  });
});

describe('CpuSampler', () => {
  it('measures this process busy as a share of all cores', () => {
    const cpu = new CpuSampler(2);
    const until = process.hrtime.bigint() + 30_000_000n;
    let spin = 0;
    while (process.hrtime.bigint() < until) spin++;
    const share = cpu.sample();
    expect(spin).toBeGreaterThan(0);
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThanOrEqual(1);
  });
});
