/**
 * The rollout engine's signals over a real hub store: window statistics from cumulative health
 * counters (deltas, restarts, baselines, late resends), inference summaries, drift windows, and
 * incremental reads; latest statuses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreSignals } from '../../src/hub/rollout-signals.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';
import type { TelemetryItem } from '../../src/storage/hub-store.js';

const DEV = 'press-01';
const T = Date.UTC(2026, 5, 1);
let dir: string;
let store: SqliteHubStore;
let seq = 0;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-rollout-signals-'));
  store = SqliteHubStore.open(join(dir, 'hub.db'));
  await store.enrollDevice({ id: DEV, tags: {}, secretHash: 'x', createdAt: T });
  seq = 0;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Counters = [version: string, requests: number, errors: number, p95: number];

async function health(receivedAt: number, models: Counters[], bootId = 'boot-a') {
  const records = [
    {
      ts: new Date(receivedAt).toISOString(),
      models: models.map(([version, requests, errors, p95]) => ({
        name: 'pm',
        version,
        requests,
        errors,
        latencyMs: { p50: 1, p95, p99: p95 },
      })),
    },
  ];
  await put('health', receivedAt, records, bootId);
}

async function put(stream: string, receivedAt: number, records: object[], bootId = 'boot-a') {
  const item: TelemetryItem = {
    deviceId: DEV,
    bootId,
    seq: seq++,
    stream,
    payloadJson: JSON.stringify({ device: DEV, bootId, stream, records }),
    receivedAt,
  };
  await store.ingestTelemetryBatch([item]);
}

const query = (version: string, from: number, to: number) => ({
  deviceId: DEV,
  model: 'pm',
  version,
  from,
  to,
});

describe('StoreSignals.windowStats', () => {
  it('sums increases of cumulative health counters, weighting p95 by requests', async () => {
    const signals = new StoreSignals(store);
    await health(T + 1000, [['1.1.0', 10, 1, 5]]);
    await health(T + 2000, [['1.1.0', 40, 1, 10]]);
    const [stats] = await signals.windowStats([query('1.1.0', T, T + 3000)]);
    // The first record counts in full (activated in the window), then +30 requests.
    expect(stats).toEqual({
      requests: 40,
      errors: 1,
      p95LatencyMs: (10 * 5 + 30 * 10) / 40,
      drift: { total: 0, drifted: 0, maxScore: null },
    });
  });

  it('uses a record from before the window as baseline, and restarts on a decrease or a new boot', async () => {
    const signals = new StoreSignals(store);
    await health(T - 60_000, [['1.0.0', 1000, 10, 2]]);
    await health(T + 1000, [['1.0.0', 1100, 10, 2]]);
    await health(T + 2000, [['1.0.0', 5, 0, 2]]);
    await health(T + 3000, [['1.0.0', 20, 1, 2]], 'boot-b');
    const [stats] = await signals.windowStats([query('1.0.0', T, T + 5000)]);
    expect(stats).toMatchObject({ requests: 100 + 5 + 20, errors: 1, p95LatencyMs: 2 });
  });

  it('skips a late resend already inside a newer cumulative count, and other versions', async () => {
    const signals = new StoreSignals(store);
    seq = 10;
    await health(T + 1000, [
      ['1.1.0', 50, 5, 3],
      ['1.0.0', 999, 999, 99],
    ]);
    seq = 5;
    await health(T + 2000, [['1.1.0', 20, 2, 3]]);
    const [stats] = await signals.windowStats([query('1.1.0', T, T + 3000)]);
    expect(stats).toMatchObject({ requests: 50, errors: 5 });
  });

  it('prefers inference summaries when the device sends them', async () => {
    const signals = new StoreSignals(store);
    await health(T + 1000, [['1.1.0', 500, 0, 1]]);
    const summary = (requests: number, errors: number, p95: number) => ({
      model: 'pm',
      version: '1.1.0',
      windowStart: new Date(T).toISOString(),
      windowEnd: new Date(T + 1000).toISOString(),
      count: requests * 2,
      requests,
      errors,
      latencyMs: { p50: 1, p95, p99: p95 },
    });
    await put('inference', T + 1500, [summary(30, 3, 10), summary(10, 0, 20)]);
    const [stats] = await signals.windowStats([query('1.1.0', T, T + 3000)]);
    expect(stats).toMatchObject({
      requests: 40,
      errors: 3,
      p95LatencyMs: (30 * 10 + 10 * 20) / 40,
    });
  });

  it('counts scored drift windows and their largest drifted share', async () => {
    const signals = new StoreSignals(store);
    const window = (extra: object) => ({
      model: 'pm',
      version: '1.1.0',
      windowStart: new Date(T).toISOString(),
      windowEnd: new Date(T).toISOString(),
      count: 100,
      features: [],
      output: { counts: [] },
      ...extra,
    });
    await put('drift', T + 1000, [
      window({ drifted: true, driftedShare: 0.5 }),
      window({
        drifted: false,
        scores: [
          { name: 'a', psi: 0, js: 0, ks: 0, drifted: true },
          { name: 'b', psi: 0, js: 0, ks: 0, drifted: false },
          { name: 'c', psi: 0, js: 0, ks: 0, drifted: false },
          { name: 'd', psi: 0, js: 0, ks: 0, drifted: false },
        ],
      }),
      window({}),
    ]);
    const [stats] = await signals.windowStats([query('1.1.0', T, T + 2000)]);
    expect(stats).toEqual({
      requests: 0,
      errors: 0,
      p95LatencyMs: null,
      drift: { total: 2, drifted: 1, maxScore: 0.5 },
    });
  });

  it('is null without reports in the window, and reads only new rows on the next call', async () => {
    const signals = new StoreSignals(store);
    expect(await signals.windowStats([query('1.1.0', T, T + 1000)])).toEqual([null]);
    await health(T + 1000, [['1.1.0', 10, 0, 1]]);
    const first = await signals.windowStats([query('1.1.0', T, T + 1000)]);
    expect(first[0]?.requests).toBe(10);
    // The same window asked again with a later end: the new row adds, the old one is not re-added.
    await health(T + 100_000, [['1.1.0', 25, 0, 1]]);
    const again = await signals.windowStats([query('1.1.0', T, T + 100_000)]);
    expect(again[0]?.requests).toBe(25);
    const later = await signals.windowStats([query('1.1.0', T, T + 200_000)]);
    expect(later[0]?.requests).toBe(25);
    // The previous release's window before the notification is its own.
    await health(T - 1000, [['1.0.0', 7, 0, 1]]);
    const both = await signals.windowStats([
      query('1.1.0', T, T + 200_000),
      query('1.0.0', T - 5000, T),
    ]);
    expect(both.map((s) => s?.requests)).toEqual([25, 7]);
  });
});

describe('StoreSignals.latestStatuses', () => {
  it('returns the newest status of the release per device received since the query time', async () => {
    const signals = new StoreSignals(store);
    const status = (state: string, receivedAt: number, errorCode: string | null = null) =>
      store.ingestTelemetryBatch([
        {
          deviceId: DEV,
          bootId: 'boot-a',
          seq: seq++,
          stream: 'status',
          payloadJson: '{}',
          receivedAt,
          effects: [
            {
              kind: 'deployment-status',
              status: {
                executionId: 'e1',
                model: 'pm',
                version: '1.1.0',
                sha256: 'ab'.repeat(32),
                state,
                desiredVersion: 3,
                ts: receivedAt,
                errorCode,
                errorMessage: errorCode === null ? null : 'bad',
                progress: null,
              },
            },
          ],
        },
      ]);
    await status('downloading', T + 1);
    await status('failed', T + 2, 'EF_AGENT_X');
    const found = await signals.latestStatuses({ name: 'pm', version: '1.1.0' }, [
      { deviceId: DEV, since: T },
    ]);
    expect(found.get(DEV)).toEqual({
      model: 'pm',
      version: '1.1.0',
      state: 'failed',
      ts: T + 2,
      desiredVersion: 3,
      error: { code: 'EF_AGENT_X', message: 'bad' },
    });
    const none = await signals.latestStatuses({ name: 'pm', version: '1.1.0' }, [
      { deviceId: DEV, since: T + 10 },
    ]);
    expect(none.size).toBe(0);
  });
});
