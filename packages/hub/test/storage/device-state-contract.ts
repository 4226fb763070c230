/**
 * The device-state part of the {@link HubStore} contract: deployment status, presence, latest
 * health and drift, and telemetry queries. Registered by `describeHubStoreContract`.
 */
import { describe, expect, it } from 'vitest';
import type { HubStore, NewDeploymentStatus, TelemetryItem } from '../../src/storage/hub-store.js';
import { expectCode } from './store-contract.js';

const T0 = Date.UTC(2026, 0, 1);
const SHA = 'c'.repeat(64);
const BOOT = 'boot-0001';

function status(overrides: Partial<NewDeploymentStatus> = {}): NewDeploymentStatus {
  return {
    executionId: 'exec-1',
    model: 'pm',
    version: '1.0.0',
    sha256: SHA,
    state: 'downloading',
    desiredVersion: 1,
    ts: T0,
    errorCode: null,
    errorMessage: null,
    progress: null,
    ...overrides,
  };
}

function item(seq: number, extra: Partial<TelemetryItem> = {}): TelemetryItem {
  return {
    deviceId: 'd1',
    bootId: BOOT,
    seq,
    stream: 'status',
    payloadJson: `{"seq":${seq}}`,
    receivedAt: T0 + seq,
    ...extra,
  };
}

const enroll = (store: HubStore, id: string) =>
  store.enrollDevice({ id, tags: {}, secretHash: `h-${id}`, createdAt: T0 });

/** Registers the device-state tests; `getStore` returns the current fixture's store. */
export function describeDeviceStateContract(getStore: () => HubStore): void {
  describe('deployment status', () => {
    it('keeps history per execution and the latest per (device, model)', async () => {
      const store = getStore();
      await enroll(store, 'd1');
      const reports = [
        status({ state: 'downloading', ts: T0 + 1, progress: { bytes: 10, total: 100 } }),
        status({ state: 'verified', ts: T0 + 2 }),
        status({ state: 'installed', ts: T0 + 3 }),
      ];
      const results = await store.ingestTelemetryBatch(
        reports.map((s, i) => item(i, { effects: [{ kind: 'deployment-status', status: s }] })),
      );
      expect(results).toEqual(['stored', 'stored', 'stored']);
      const history = await store.deploymentHistory('d1', 'exec-1');
      expect(history.map((h) => h.state)).toEqual(['downloading', 'verified', 'installed']);
      expect(history[0]).toMatchObject({
        deviceId: 'd1',
        bootId: BOOT,
        seq: 0,
        progress: { bytes: 10, total: 100 },
        receivedAt: T0,
      });
      const latest = await store.latestDeployments(['d1']);
      expect(latest).toHaveLength(1);
      expect(latest[0]).toMatchObject({ model: 'pm', state: 'installed', desiredVersion: 1 });
    });

    it('ignores a late older report and applies effects only for stored items', async () => {
      const store = getStore();
      await enroll(store, 'd1');
      await enroll(store, 'd2');
      const newer = status({
        executionId: 'exec-2',
        desiredVersion: 2,
        state: 'healthy',
        ts: T0 + 9,
      });
      const older = status({ desiredVersion: 1, state: 'failed', ts: T0 + 50 });
      await store.ingestTelemetryBatch([
        item(1, { effects: [{ kind: 'deployment-status', status: newer }] }),
        item(2, { effects: [{ kind: 'deployment-status', status: older }] }),
      ]);
      // A duplicate seq carries a different report: it must change nothing.
      const dup = status({ desiredVersion: 3, state: 'failed', ts: T0 + 99 });
      expect(
        await store.ingestTelemetryBatch([
          item(1, { effects: [{ kind: 'deployment-status', status: dup }] }),
        ]),
      ).toEqual(['duplicate']);
      await store.ingestTelemetryBatch([
        item(1, {
          deviceId: 'd2',
          effects: [{ kind: 'deployment-status', status: status({ model: 'other' }) }],
        }),
      ]);
      const latest = await store.latestDeployments(['d2', 'd1', 'ghost']);
      expect(latest.map((l) => [l.deviceId, l.model, l.state])).toEqual([
        ['d1', 'pm', 'healthy'],
        ['d2', 'other', 'downloading'],
      ]);
      expect(await store.latestDeployments(['d1', 'd2'], 'other')).toHaveLength(1);
      expect(await store.deploymentHistory('d1')).toHaveLength(2);
    });

    it('finds the newest status of one release per device since a time', async () => {
      const store = getStore();
      await enroll(store, 'd1');
      await enroll(store, 'd2');
      const report = (seq: number, deviceId: string, s: Partial<NewDeploymentStatus>) =>
        item(seq, { deviceId, effects: [{ kind: 'deployment-status', status: status(s) }] });
      await store.ingestTelemetryBatch([
        report(1, 'd1', { state: 'downloading', ts: T0 + 1 }),
        report(2, 'd1', { state: 'installed', ts: T0 + 2 }),
        report(3, 'd1', { version: '2.0.0', state: 'pending', ts: T0 + 3 }),
        report(4, 'd2', { state: 'failed', ts: T0 + 4 }),
      ]);
      const found = await store.latestStatusesSince('pm', '1.0.0', [
        { deviceId: 'd1', since: 0 },
        { deviceId: 'd2', since: T0 + 5 },
        { deviceId: 'ghost', since: 0 },
      ]);
      expect(found.map((f) => [f.deviceId, f.state])).toEqual([['d1', 'installed']]);
      expect(
        await store.latestStatusesSince('pm', '1.0.0', [{ deviceId: 'd2', since: T0 + 4 }]),
      ).toHaveLength(1);
    });

    it('refuses a malformed effect and stores nothing of the batch', async () => {
      const store = getStore();
      await enroll(store, 'd1');
      const bad = { ...status(), version: 'not-semver' };
      await expectCode(
        store.ingestTelemetryBatch([
          item(1),
          item(2, { effects: [{ kind: 'deployment-status', status: bad }] }),
        ]),
        'EF_HUB_STORE_ARGUMENT',
      );
      expect(await store.telemetryCount()).toBe(0);
    });
  });

  describe('health, drift and telemetry queries', () => {
    it('keeps the newest health record and the newest drift window per model', async () => {
      const store = getStore();
      await enroll(store, 'd1');
      const health = (seq: number, ts: number) =>
        item(seq, {
          stream: 'health',
          effects: [{ kind: 'health', recordJson: `{"ts":${ts}}`, ts }],
        });
      await store.ingestTelemetryBatch([health(1, T0 + 20), health(2, T0 + 10)]);
      expect((await store.latestHealth('d1'))?.recordJson).toBe(`{"ts":${T0 + 20}}`);
      expect(await store.latestHealth('d2')).toBeUndefined();
      const drift = (seq: number, model: string, windowEnd: number) =>
        item(seq, {
          stream: 'drift',
          effects: [
            { kind: 'drift', model, version: '1.0.0', recordJson: `"${model}"`, windowEnd },
          ],
        });
      await store.ingestTelemetryBatch([drift(3, 'b', T0 + 5), drift(4, 'a', T0 + 7)]);
      await store.ingestTelemetryBatch([drift(5, 'a', T0 + 6)]);
      const latest = await store.latestDrift('d1');
      expect(latest.map((d) => [d.model, d.windowEnd])).toEqual([
        ['a', T0 + 7],
        ['b', T0 + 5],
      ]);
    });

    it('lists telemetry of one stream by receive time', async () => {
      const store = getStore();
      await enroll(store, 'd1');
      await store.ingestTelemetryBatch([
        item(1, { stream: 'health', receivedAt: T0 + 100 }),
        item(2, { stream: 'drift', receivedAt: T0 + 150 }),
        item(3, { stream: 'health', receivedAt: T0 + 200 }),
        item(4, { stream: 'health', receivedAt: T0 + 300 }),
      ]);
      const seqs = async (since: number, until?: number, limit?: number) =>
        (
          await store.listTelemetry({
            deviceId: 'd1',
            stream: 'health',
            since,
            ...(until === undefined ? {} : { until }),
            ...(limit === undefined ? {} : { limit }),
          })
        ).map((t) => t.seq);
      expect(await seqs(0)).toEqual([1, 3, 4]);
      expect(await seqs(T0 + 200)).toEqual([3, 4]);
      expect(await seqs(T0 + 100, T0 + 300)).toEqual([1, 3]);
      expect(await seqs(0, undefined, 1)).toEqual([1]);
      await expectCode(
        store.listTelemetry({ deviceId: 'd1', stream: 'health', since: -1 }),
        'EF_HUB_STORE_ARGUMENT',
      );
    });
  });

  describe('presence', () => {
    const birth = (ts: number, bootId = BOOT) => ({
      bootId,
      agentVersion: '0.1.0',
      arch: 'arm64',
      platform: 'linux',
      models: [{ name: 'pm', version: '1.0.0', sha256: SHA }],
      ts,
      receivedAt: ts + 1,
    });

    it('records birth and death, ignoring a stale will and a stale birth', async () => {
      const store = getStore();
      await enroll(store, 'd1');
      expect(await store.getPresence('d1')).toBeUndefined();
      expect(await store.recordDeath('d1', { ts: T0, receivedAt: T0, reason: 'x' })).toBe(false);
      expect(await store.recordBirth('d1', birth(T0 + 10))).toBe(true);
      expect(await store.getPresence('d1')).toMatchObject({
        online: true,
        bootId: BOOT,
        agentVersion: '0.1.0',
        arch: 'arm64',
        models: [{ name: 'pm', version: '1.0.0', sha256: SHA }],
        birthTs: T0 + 10,
        connectedAt: T0 + 11,
        disconnectedAt: null,
      });
      expect(await store.countOnline()).toBe(1);
      // The will of the connection this birth replaced: older than the birth, ignored.
      const stale = { bootId: BOOT, ts: T0 + 5, receivedAt: T0 + 12, reason: 'will' };
      expect(await store.recordDeath('d1', stale)).toBe(false);
      expect(await store.recordBirth('d1', birth(T0 + 3, 'boot-old'))).toBe(false);
      expect((await store.getPresence('d1'))?.online).toBe(true);
      const death = { bootId: BOOT, ts: T0 + 20, receivedAt: T0 + 21, reason: 'shutdown' };
      expect(await store.recordDeath('d1', death)).toBe(true);
      expect(await store.getPresence('d1')).toMatchObject({
        online: false,
        disconnectedAt: T0 + 21,
        disconnectReason: 'shutdown',
      });
      expect(await store.countOnline()).toBe(0);
      await expectCode(store.recordBirth('ghost', birth(T0)), 'EF_HUB_STORE_UNKNOWN_DEVICE');
      await expectCode(
        store.recordBirth('d1', { ...birth(T0 + 30), models: 'x' as never }),
        'EF_HUB_STORE_ARGUMENT',
      );
    });

    it('marks devices offline and does not count revoked devices online', async () => {
      const store = getStore();
      for (const id of ['d1', 'd2', 'd3']) {
        await enroll(store, id);
        await store.recordBirth(id, birth(T0));
      }
      expect(await store.countOnline()).toBe(3);
      await store.revokeDevice('d3', T0 + 1);
      expect(await store.countOnline()).toBe(2);
      await store.markOffline('d1', T0 + 2, 'revoked');
      expect((await store.getPresence('d1'))?.disconnectReason).toBe('revoked');
      expect(await store.countOnline()).toBe(1);
      expect(await store.markAllOffline(T0 + 3, 'hub restart')).toBe(2);
      expect(await store.countOnline()).toBe(0);
    });
  });
}
