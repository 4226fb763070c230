/**
 * The shared contract every {@link HubStore} must pass (like MQTT.js's shared store tests):
 * a PostgreSQL store can run the same suite by calling {@link describeHubStoreContract}.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import type { HubStore, NewDevice, NewRelease } from '../../src/index.js';
import { describeDeviceStateContract } from './device-state-contract.js';

/** A store under test; `reopen` (when the store is durable) closes it and opens the same data. */
export interface StoreFixture {
  store: HubStore;
  cleanup: () => Promise<void>;
  reopen?: () => Promise<HubStore>;
}

/** Expects `promise` to reject with a coded error of `code`; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(Error);
  expect(isEdgefleetError(caught) ? caught.code : String(caught)).toBe(code);
  return caught as Error;
}

const T0 = Date.UTC(2026, 0, 1);
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const BOOT = 'boot-0001';

function device(id: string, tags: Record<string, string> = {}): NewDevice {
  return { id, tags, secretHash: `hash-of-${id}`, createdAt: T0 };
}

function release(name: string, version: string, sha256 = SHA_A): NewRelease {
  return {
    name,
    version,
    sha256,
    bytes: 1234,
    manifest: { name, version, models: [{ file: 'model.onnx' }] },
    publishedAt: T0 + 5,
  };
}

/** Registers the contract suite for one store implementation. */
export function describeHubStoreContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
): void {
  describe(`HubStore contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: HubStore;

    beforeEach(async () => {
      fx = await makeStore();
      store = fx.store;
    });

    afterEach(async () => {
      await fx.cleanup();
    });

    describe('devices', () => {
      it('enrolls and reads a device back', async () => {
        const stored = await store.enrollDevice(device('press-07', { site: 'plant-a' }));
        const expected = {
          id: 'press-07',
          tags: { site: 'plant-a' },
          secretHash: 'hash-of-press-07',
          createdAt: T0,
          revokedAt: null,
          lastSeenAt: null,
        };
        expect(stored).toEqual(expected);
        expect(await store.getDevice('press-07')).toEqual(expected);
        expect(await store.getDevice('nobody')).toBeUndefined();
      });

      it('refuses a duplicate device and keeps the first', async () => {
        await store.enrollDevice(device('press-07', { site: 'a' }));
        await expectCode(
          store.enrollDevice({ ...device('press-07', { site: 'b' }), secretHash: 'other' }),
          'EF_HUB_STORE_DUPLICATE_DEVICE',
        );
        const kept = await store.getDevice('press-07');
        expect(kept?.tags).toEqual({ site: 'a' });
        expect(kept?.secretHash).toBe('hash-of-press-07');
      });

      it('refuses null and non-object arguments with a code, not a TypeError', async () => {
        const bad = null as unknown as never;
        await expectCode(store.enrollDevice(bad), 'EF_HUB_STORE_ARGUMENT');
        await expectCode(store.addRelease(bad), 'EF_HUB_STORE_ARGUMENT');
        await expectCode(store.ingestTelemetryBatch(bad), 'EF_HUB_STORE_ARGUMENT');
        await expectCode(store.ingestTelemetryBatch([bad]), 'EF_HUB_STORE_ARGUMENT');
      });

      it('refuses invalid device ids and tags', async () => {
        await expectCode(store.enrollDevice(device('Bad/Id')), 'EF_HUB_STORE_ARGUMENT');
        await expectCode(store.enrollDevice(device('ok', { '': 'x' })), 'EF_HUB_STORE_ARGUMENT');
        await expectCode(store.getDevice('a/b'), 'EF_HUB_STORE_ARGUMENT');
        expect(await store.listDevices()).toEqual([]);
      });

      it('lists devices by tag selector', async () => {
        await store.enrollDevice(device('d3', { site: 'a', hw: 'rpi5' }));
        await store.enrollDevice(device('d1', { site: 'a', hw: 'jetson' }));
        await store.enrollDevice(device('d2', { site: 'b', hw: 'rpi5' }));
        const ids = async (sel?: Record<string, string>) =>
          (await store.listDevices(sel)).map((d) => d.id);
        expect(await ids()).toEqual(['d1', 'd2', 'd3']);
        expect(await ids({})).toEqual(['d1', 'd2', 'd3']);
        expect(await ids({ site: 'a' })).toEqual(['d1', 'd3']);
        expect(await ids({ site: 'a', hw: 'rpi5' })).toEqual(['d3']);
        expect(await ids({ site: 'c' })).toEqual([]);
        const [first] = await store.listDevices({ hw: 'jetson' });
        expect(first?.tags).toEqual({ site: 'a', hw: 'jetson' });
      });

      it('replaces tags', async () => {
        await store.enrollDevice(device('d1', { site: 'a', hw: 'rpi5' }));
        const updated = await store.setTags('d1', { site: 'b' });
        expect(updated.tags).toEqual({ site: 'b' });
        expect((await store.getDevice('d1'))?.tags).toEqual({ site: 'b' });
        expect((await store.listDevices({ hw: 'rpi5' })).length).toBe(0);
      });

      it('revokes once and keeps the first revocation time', async () => {
        await store.enrollDevice(device('d1'));
        expect((await store.revokeDevice('d1', T0 + 10)).revokedAt).toBe(T0 + 10);
        expect((await store.revokeDevice('d1', T0 + 20)).revokedAt).toBe(T0 + 10);
        expect((await store.getDevice('d1'))?.revokedAt).toBe(T0 + 10);
      });

      it('moves last seen forward only', async () => {
        await store.enrollDevice(device('d1'));
        await store.touchLastSeen('d1', T0 + 100);
        await store.touchLastSeen('d1', T0 + 50);
        expect((await store.getDevice('d1'))?.lastSeenAt).toBe(T0 + 100);
        await store.touchLastSeen('d1', T0 + 200);
        expect((await store.getDevice('d1'))?.lastSeenAt).toBe(T0 + 200);
      });

      it('reports an unknown device with a coded error', async () => {
        const code = 'EF_HUB_STORE_UNKNOWN_DEVICE';
        await expectCode(store.setTags('ghost', {}), code);
        await expectCode(store.revokeDevice('ghost', T0), code);
        await expectCode(store.touchLastSeen('ghost', T0), code);
        await expectCode(store.nextDesiredVersion('ghost'), code);
        await expectCode(store.ingestTelemetry('ghost', BOOT, 1, 'metrics', '{}', T0), code);
        expect(await store.getDesiredState('ghost')).toBeUndefined();
      });
    });

    describe('releases', () => {
      it('stores and reads a release back', async () => {
        const r = release('detector', '1.2.0');
        expect(await store.addRelease(r)).toEqual(r);
        expect(await store.getRelease('detector', '1.2.0')).toEqual(r);
        expect(await store.getRelease('detector', '9.9.9')).toBeUndefined();
        expect(await store.getRelease('other', '1.2.0')).toBeUndefined();
      });

      it('refuses a duplicate release with its code and keeps the first', async () => {
        await store.addRelease(release('detector', '1.2.0', SHA_A));
        const err = await expectCode(
          store.addRelease(release('detector', '1.2.0', SHA_B)),
          'EF_HUB_STORE_DUPLICATE_RELEASE',
        );
        expect(err.message).toContain('detector@1.2.0');
        await expectCode(
          store.addRelease(release('detector', '1.2.0+build.7', SHA_B)),
          'EF_HUB_STORE_DUPLICATE_RELEASE',
        );
        expect((await store.getRelease('detector', '1.2.0'))?.sha256).toBe(SHA_A);
        expect(await store.listReleases('detector')).toHaveLength(1);
      });

      it('lists releases in SemVer order', async () => {
        for (const v of [
          '1.10.0',
          '1.2.0',
          '2.0.0-rc.1',
          '2.0.0',
          '1.2.0-beta.2',
          '1.2.0-beta.10',
        ]) {
          await store.addRelease(release('detector', v));
        }
        await store.addRelease(release('classifier', '0.1.0'));
        expect((await store.listReleases('detector')).map((r) => r.version)).toEqual([
          '1.2.0-beta.2',
          '1.2.0-beta.10',
          '1.2.0',
          '1.10.0',
          '2.0.0-rc.1',
          '2.0.0',
        ]);
        expect(await store.listReleases('nothing')).toEqual([]);
        expect(await store.listReleaseNames()).toEqual(['classifier', 'detector']);
      });

      it('refuses an invalid version or digest', async () => {
        await expectCode(store.addRelease(release('detector', '1.2')), 'EF_HUB_STORE_ARGUMENT');
        await expectCode(
          store.addRelease(release('detector', '1.2.0', 'XYZ')),
          'EF_HUB_STORE_ARGUMENT',
        );
      });
    });

    describe('desired state', () => {
      it('issues monotonic versions per device', async () => {
        await store.enrollDevice(device('d1'));
        await store.enrollDevice(device('d2'));
        expect(await store.getDesiredState('d1')).toEqual({
          deviceId: 'd1',
          lastIssuedVersion: 0,
          envelope: null,
        });
        expect(await store.nextDesiredVersion('d1')).toBe(1);
        expect(await store.nextDesiredVersion('d1')).toBe(2);
        expect(await store.nextDesiredVersion('d2')).toBe(1);
        expect(await store.nextDesiredVersion('d1')).toBe(3);
      });

      it('stores the last envelope and its expiry', async () => {
        await store.enrollDevice(device('d1'));
        const v1 = await store.nextDesiredVersion('d1');
        const v2 = await store.nextDesiredVersion('d1');
        const env = { version: v2, envelopeJson: '{"v":2}', expiresAt: T0 + 1000, publishedAt: T0 };
        await store.setDesiredEnvelope('d1', env);
        expect(await store.getDesiredState('d1')).toEqual({
          deviceId: 'd1',
          lastIssuedVersion: v2,
          envelope: env,
        });
        // An older issued version must not overwrite a newer envelope; nor an unissued one.
        await expectCode(
          store.setDesiredEnvelope('d1', { ...env, version: v1 }),
          'EF_HUB_STORE_DESIRED_VERSION',
        );
        await expectCode(
          store.setDesiredEnvelope('d1', { ...env, version: v2 + 5 }),
          'EF_HUB_STORE_DESIRED_VERSION',
        );
        expect((await store.getDesiredState('d1'))?.envelope).toEqual(env);
      });

      it('lists envelopes expiring before a time, soonest first', async () => {
        for (const [id, expiresAt] of [
          ['d1', T0 + 300],
          ['d2', T0 + 100],
          ['d3', T0 + 900],
        ] as const) {
          await store.enrollDevice(device(id));
          const version = await store.nextDesiredVersion(id);
          await store.setDesiredEnvelope(id, {
            version,
            envelopeJson: '{}',
            expiresAt,
            publishedAt: T0,
          });
        }
        await store.enrollDevice(device('d4'));
        await store.nextDesiredVersion('d4');
        const due = await store.listDesiredExpiringBefore(T0 + 500);
        expect(due.map((d) => d.deviceId)).toEqual(['d2', 'd1']);
      });
    });

    describe('telemetry', () => {
      it('stores once and reports duplicates by (device, bootId, seq)', async () => {
        await store.enrollDevice(device('d1'));
        await store.enrollDevice(device('d2'));
        expect(await store.ingestTelemetry('d1', BOOT, 1, 'metrics', '{"a":1}', T0)).toBe('stored');
        expect(await store.telemetryCount()).toBe(1);
        expect(await store.ingestTelemetry('d1', BOOT, 1, 'metrics', '{"a":2}', T0 + 1)).toBe(
          'duplicate',
        );
        expect(await store.telemetryCount()).toBe(1);
        // Same seq under another boot or another device is a different message.
        expect(await store.ingestTelemetry('d1', 'boot-0002', 1, 'metrics', '{}', T0)).toBe(
          'stored',
        );
        expect(await store.ingestTelemetry('d2', BOOT, 1, 'metrics', '{}', T0)).toBe('stored');
        expect(await store.telemetryCount()).toBe(3);
        expect(await store.telemetryCount('d1')).toBe(2);
        expect(await store.telemetryCount('d2')).toBe(1);
      });

      it('acks stored seqs as merged ranges', async () => {
        await store.enrollDevice(device('d1'));
        for (const seq of [5, 1, 3, 2, 3]) {
          await store.ingestTelemetry('d1', BOOT, seq, 'metrics', '{}', T0);
        }
        await store.ingestTelemetry('d1', 'boot-0002', 4, 'metrics', '{}', T0);
        expect(await store.ackRanges('d1', BOOT)).toEqual([
          [1, 3],
          [5, 5],
        ]);
        expect(await store.ackRanges('d1', 'boot-0002')).toEqual([[4, 4]]);
        expect(await store.ackRanges('d1', 'boot-none')).toEqual([]);
      });

      it('ingests a batch in one transaction', async () => {
        await store.enrollDevice(device('d1'));
        const item = (seq: number, deviceId = 'd1') => ({
          deviceId,
          bootId: BOOT,
          seq,
          stream: 'metrics',
          payloadJson: '{}',
          receivedAt: T0,
        });
        expect(await store.ingestTelemetryBatch([item(1), item(2), item(1)])).toEqual([
          'stored',
          'stored',
          'duplicate',
        ]);
        await expectCode(
          store.ingestTelemetryBatch([item(3), item(4, 'ghost')]),
          'EF_HUB_STORE_UNKNOWN_DEVICE',
        );
        await expectCode(store.ingestTelemetryBatch([item(5), item(-1)]), 'EF_HUB_STORE_ARGUMENT');
        expect(await store.telemetryCount()).toBe(2);
        expect(await store.ackRanges('d1', BOOT)).toEqual([[1, 2]]);
      });
    });

    describeDeviceStateContract(() => store);

    it('refuses use after close', async () => {
      await store.close();
      await store.close();
      await expectCode(store.getDevice('d1'), 'EF_HUB_STORE_CLOSED');
    });

    describe('durability', () => {
      it('keeps data across close and reopen', async (ctx) => {
        if (fx.reopen === undefined) return ctx.skip();
        await store.enrollDevice(device('d1', { site: 'a' }));
        await store.addRelease(release('detector', '1.0.0'));
        await store.ingestTelemetry('d1', BOOT, 7, 'metrics', '{}', T0);
        store = await fx.reopen();
        expect((await store.getDevice('d1'))?.tags).toEqual({ site: 'a' });
        expect(await store.getRelease('detector', '1.0.0')).toEqual(release('detector', '1.0.0'));
        expect(await store.ackRanges('d1', BOOT)).toEqual([[7, 7]]);
        expect(await store.ingestTelemetry('d1', BOOT, 7, 'metrics', '{}', T0)).toBe('duplicate');
      });

      it('never reuses a desired version across close and reopen', async (ctx) => {
        if (fx.reopen === undefined) return ctx.skip();
        await store.enrollDevice(device('d1'));
        expect(await store.nextDesiredVersion('d1')).toBe(1);
        expect(await store.nextDesiredVersion('d1')).toBe(2);
        await store.setDesiredEnvelope('d1', {
          version: 2,
          envelopeJson: '{"v":2}',
          expiresAt: T0 + 1,
          publishedAt: T0,
        });
        store = await fx.reopen();
        expect(await store.nextDesiredVersion('d1')).toBe(3);
        expect((await store.getDesiredState('d1'))?.envelope?.envelopeJson).toBe('{"v":2}');
        store = await fx.reopen();
        expect(await store.nextDesiredVersion('d1')).toBe(4);
      });
    });
  });
}
