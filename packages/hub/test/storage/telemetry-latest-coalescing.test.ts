/**
 * `SqliteHubStore.ingestTelemetryBatch` writes the "latest" health and drift rows once per
 * batch (the newest per device, per model): the rows must be exactly those that applying every
 * item in order would leave, and deployment statuses must all be kept, in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryItem } from '../../src/storage/hub-store.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';

const T0 = Date.UTC(2026, 0, 1);
const BOOT = 'boot-0001';

function health(deviceId: string, seq: number, ts: number, tag: string): TelemetryItem {
  return {
    deviceId,
    bootId: BOOT,
    seq,
    stream: 'health',
    payloadJson: `{"seq":${seq}}`,
    receivedAt: T0 + 1000 + seq,
    effects: [{ kind: 'health', recordJson: `"${tag}"`, ts }],
  };
}

function drift(seq: number, model: string, windowEnd: number, tag: string): TelemetryItem {
  return {
    deviceId: 'd1',
    bootId: BOOT,
    seq,
    stream: 'drift',
    payloadJson: '{}',
    receivedAt: T0 + 1000 + seq,
    effects: [{ kind: 'drift', model, version: '1.0.0', recordJson: `"${tag}"`, windowEnd }],
  };
}

describe('SqliteHubStore: latest health and drift per batch', () => {
  let dir: string;
  let store: SqliteHubStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-hub-latest-'));
    store = SqliteHubStore.open(join(dir, 'hub.db'));
    for (const id of ['d1', 'd2']) {
      await store.enrollDevice({ id, tags: {}, secretHash: 'h', createdAt: T0 });
    }
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the newest health per device, the later of equal times, and its receive time', async () => {
    await store.ingestTelemetryBatch([
      health('d1', 1, T0 + 5, 'a'),
      health('d2', 1, T0 + 9, 'x'),
      health('d1', 2, T0 + 7, 'b'),
      health('d1', 3, T0 + 7, 'c'),
      health('d1', 4, T0 + 6, 'd'),
    ]);
    expect(await store.latestHealth('d1')).toEqual({
      deviceId: 'd1',
      recordJson: '"c"',
      ts: T0 + 7,
      receivedAt: T0 + 1003,
    });
    expect((await store.latestHealth('d2'))?.recordJson).toBe('"x"');
    // An older batch does not replace it; an equal time in a later batch does.
    await store.ingestTelemetryBatch([health('d1', 5, T0 + 6, 'e')]);
    expect((await store.latestHealth('d1'))?.recordJson).toBe('"c"');
    await store.ingestTelemetryBatch([health('d1', 6, T0 + 7, 'f')]);
    expect((await store.latestHealth('d1'))?.recordJson).toBe('"f"');
  });

  it('ignores the effects of duplicates, even the newest of a batch', async () => {
    await store.ingestTelemetryBatch([health('d1', 1, T0 + 5, 'a')]);
    const results = await store.ingestTelemetryBatch([
      health('d1', 2, T0 + 6, 'b'),
      // A replay of seq 1 with other content: stored already, so it changes nothing.
      health('d1', 1, T0 + 50, 'replay'),
    ]);
    expect(results).toEqual(['stored', 'duplicate']);
    expect((await store.latestHealth('d1'))?.recordJson).toBe('"b"');
  });

  it('keeps the newest drift window per model and every deployment status in order', async () => {
    const status = (seq: number, state: string): TelemetryItem => ({
      deviceId: 'd1',
      bootId: BOOT,
      seq,
      stream: 'status',
      payloadJson: '{}',
      receivedAt: T0 + seq,
      effects: [
        {
          kind: 'deployment-status',
          status: {
            executionId: 'e1',
            model: 'pm',
            version: '1.0.0',
            sha256: 'c'.repeat(64),
            state,
            desiredVersion: 1,
            ts: T0 + seq,
            errorCode: null,
            errorMessage: null,
            progress: null,
          },
        },
      ],
    });
    await store.ingestTelemetryBatch([
      drift(1, 'a', T0 + 3, 'a3'),
      status(2, 'downloading'),
      drift(3, 'b', T0 + 1, 'b1'),
      drift(4, 'a', T0 + 9, 'a9'),
      status(5, 'verified'),
      drift(6, 'a', T0 + 9, 'a9-later'),
      drift(7, 'b', T0 + 0, 'b0'),
      status(8, 'installed'),
    ]);
    const latest = await store.latestDrift('d1');
    expect(latest.map((d) => [d.model, d.recordJson, d.windowEnd])).toEqual([
      ['a', '"a9-later"', T0 + 9],
      ['b', '"b1"', T0 + 1],
    ]);
    expect((await store.deploymentHistory('d1', 'e1')).map((s) => s.state)).toEqual([
      'downloading',
      'verified',
      'installed',
    ]);
    expect((await store.latestDeployments(['d1']))[0]?.state).toBe('installed');
  });
});
