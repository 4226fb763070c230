/**
 * What the hub must show on any broker (issue 5, "Must show"), run against the embedded broker
 * and a real Mosquitto: a telemetry burst stored exactly once with the drops counted, a 20 MB
 * blob and a published bundle fetched over MQTT chunks with their sha256 intact, tampered and
 * wrongly signed bundles refused at publish, a revoked device cut off, and bad input counted
 * while the hub keeps serving. Where the brokers legitimately differ (Mosquitto's acl_file lets a
 * device write anything under its own subtree, and its packet limit leaves room for framing),
 * the factory declares what to expect and the suite asserts exactly that.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_BLOB_BLOCK_BYTES,
  decodeBlobResponse,
  parseHubState,
  rangesContain,
  topics,
} from '@edgefleet/protocol';
import type { Ack } from '@edgefleet/protocol';
import { readBundleArchive, writeBundleArchive } from '@edgefleet/runtime';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPmBundle, makeTrust } from '../../../../test/helpers/trust-fixture.js';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../src/broker/embedded-broker.js';
import type { HubOptions } from '../../src/hub/hub-options.js';
import type { RunningHub } from '../../src/hub/start-hub.js';
import { nextClose } from '../broker/helpers.js';
import { expectCode } from '../storage/store-contract.js';
import { BOOT, collect, HubKit, healthBatch, inboxOf, waitFor } from './hub-test-kit.js';
import type { TestDevice } from './hub-test-kit.js';

/** A hub started on the broker under test. */
export interface HubOnBroker {
  hub: RunningHub;
  /** Makes the broker accept every device enrolled so far (Mosquitto: new files + reload). */
  admitEnrolled(): Promise<void>;
  /** What happens to a device publishing on `ef/v1/d/<own id>/tel/<unknown stream>`. */
  unknownTopic: 'disconnect' | 'counted';
  /** What happens to a payload one byte over the hub's 256 KiB cap (10 MB always disconnects). */
  overCap: 'disconnect' | 'counted';
  /** Stops what the factory started besides the hub (after the hub is closed). */
  close?(): Promise<void>;
}

/** Starts a hub (through `kit`, which cleans it up) on a fresh broker. */
export type HubOnBrokerFactory = (
  kit: HubKit,
  options: Partial<HubOptions>,
) => Promise<HubOnBroker>;

/**
 * Downloads `size` bytes of blob `sha256` the way an agent does: a window of 64 KiB block
 * requests, each sent again when unanswered for `retryMs` (responses are QoS 0).
 */
export async function downloadBlob(
  client: MqttClient,
  deviceId: string,
  sha256: string,
  size: number,
  { window = 8, retryMs = 5000, deadlineMs = 100_000 } = {},
): Promise<Buffer> {
  const out = Buffer.alloc(size);
  const queue: number[] = [];
  for (let offset = 0; offset < size; offset += DEFAULT_BLOB_BLOCK_BYTES) queue.push(offset);
  const pending = new Map<string, { offset: number; timer: NodeJS.Timeout }>();
  let received = 0;
  let n = 0;
  // Several downloads may share a client: request ids must not collide.
  const prefix = randomBytes(4).toString('hex');
  return new Promise((resolve, reject) => {
    const stop = (err?: Error) => {
      clearTimeout(deadline);
      for (const p of pending.values()) clearTimeout(p.timer);
      client.off('message', onMessage);
      if (err) reject(err);
      else resolve(out);
    };
    const deadline = setTimeout(
      () => stop(new Error(`download stalled at ${received}/${size} bytes`)),
      deadlineMs,
    );
    const pump = () => {
      while (pending.size < window && queue.length > 0) {
        const offset = queue.shift() as number;
        const requestId = `${prefix}.${(n += 1)}`;
        const timer = setTimeout(() => {
          pending.delete(requestId);
          queue.unshift(offset);
          pump();
        }, retryMs);
        pending.set(requestId, { offset, timer });
        const length = Math.min(DEFAULT_BLOB_BLOCK_BYTES, size - offset);
        client.publish(
          topics.blobReq(deviceId),
          JSON.stringify({ sha256, offset, length, requestId }),
          { qos: 1 },
        );
      }
    };
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic !== topics.blobRes(deviceId)) return;
      const { header, bytes } = decodeBlobResponse(payload);
      const entry = pending.get(header.requestId);
      if (entry === undefined) return;
      clearTimeout(entry.timer);
      pending.delete(header.requestId);
      if (header.error) return stop(new Error(`${header.error.code}: ${header.error.message}`));
      bytes.copy(out, header.offset);
      received += bytes.length;
      if (received === size) stop();
      else pump();
    };
    client.on('message', onMessage);
    pump();
  });
}

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Registers the suite for one broker.
 *
 * @example
 * describeHubOnBroker('embedded broker (aedes)', async (kit, options) => ({
 *   hub: await kit.start(options), admitEnrolled: async () => {}, unknownTopic: 'disconnect', overCap: 'disconnect' }));
 */
export function describeHubOnBroker(name: string, factory: HubOnBrokerFactory): void {
  describe(`hub on ${name}`, () => {
    const kit = new HubKit();
    const trust = makeTrust();
    let buildDir: string;
    let bundle: Buffer;
    let wronglySigned: Buffer;
    let tampered: Buffer;
    let on: HubOnBroker | undefined;

    beforeAll(async () => {
      buildDir = mkdtempSync(join(tmpdir(), 'ef-hub-broker-build-'));
      bundle = await readFile(await buildPmBundle(buildDir, trust.release.privateKey));
      const wrongDir = join(buildDir, 'wrong');
      mkdirSync(wrongDir);
      wronglySigned = await readFile(await buildPmBundle(wrongDir, trust.deploy.privateKey));
      // One bit of the model flipped inside an otherwise well-formed archive.
      const { files } = await readBundleArchive(bundle);
      const onnx = Buffer.from(files.get('model.onnx') ?? Buffer.alloc(0));
      onnx[onnx.length - 1] = (onnx[onnx.length - 1] ?? 0) ^ 0x01;
      files.set('model.onnx', onnx);
      const tamperedPath = join(buildDir, 'tampered.efb');
      await writeBundleArchive(
        tamperedPath,
        [...files].map(([n, data]) => ({ name: n, data })),
      );
      tampered = await readFile(tamperedPath);
    });
    afterAll(() => rmSync(buildDir, { recursive: true, force: true }));
    afterEach(async () => {
      await kit.cleanup();
      await on?.close?.();
      on = undefined;
    });

    /** The broker of the running test. */
    const current = (): HubOnBroker => {
      if (on === undefined) throw new Error('no hub started');
      return on;
    };

    async function start(options: Partial<HubOptions> = {}): Promise<RunningHub> {
      const keysDir = kit.tempDir('ef-hub-broker-keys-');
      await trust.writeTo(keysDir);
      const started = await factory(kit, {
        keyringPath: join(keysDir, 'keyring.json'),
        deployKeyPath: join(keysDir, 'deploy.key'),
        ...options,
      });
      on = started;
      return started.hub;
    }

    /** Enrols and connects devices; resolves once the hub is subscribed (its state is online). */
    async function devices(hub: RunningHub, ...ids: string[]): Promise<TestDevice[]> {
      const enrolled = [];
      for (const id of ids) enrolled.push({ id, ...(await hub.api.enrollDevice(id, {})) });
      await current().admitEnrolled();
      const out: TestDevice[] = [];
      for (const { id, provisioning } of enrolled) {
        const client = await kit.connect(hub, id, provisioning.password);
        await client.subscribeAsync(topics.hubState(), { qos: 1 });
        const state = await inboxOf(client).take(topics.hubState());
        expect(parseHubState(state).state).toBe('online');
        out.push({ id, password: provisioning.password, client, rootPublicKeys: [] });
      }
      return out;
    }

    /** A valid message of `d` with `seq` gets stored: the hub still serves. */
    async function stillServes(hub: RunningHub, d: TestDevice, seq: number): Promise<void> {
      await d.client.publishAsync(
        topics.telemetry(d.id, 'health'),
        JSON.stringify(healthBatch(d.id, seq)),
        { qos: 1 },
      );
      await waitFor(
        async () => (await hub.store.ackRanges(d.id, BOOT)).some(([a, b]) => seq >= a && seq <= b),
        `seq ${seq} of ${d.id} stored`,
      );
    }

    const rejects = (hub: RunningHub, reason: string) => hub.metrics.rejects.get({ reason });

    it('stores a telemetry burst exactly once, acks every seq and counts the drops', async () => {
      const hub = await start();
      const [d] = await devices(hub, 'burst-01');
      if (d === undefined) throw new Error('no device');
      const acks = collect(d.client, topics.ack(d.id));
      const tel = topics.telemetry(d.id, 'health');
      const sends: Promise<unknown>[] = [];
      // Three copies of seqs 0-199 (an agent resending after a lost ack) and some garbage.
      for (let round = 0; round < 3; round++) {
        for (let seq = 0; seq < 200; seq++) {
          sends.push(
            d.client.publishAsync(tel, JSON.stringify(healthBatch(d.id, seq)), { qos: 1 }),
          );
        }
        for (let i = 0; i < 5; i++) sends.push(d.client.publishAsync(tel, '{"seq": ', { qos: 1 }));
      }
      await Promise.all(sends);
      await waitFor(
        () =>
          hub.metrics.telemetryStored.get() + hub.metrics.telemetryDuplicates.get() === 600 &&
          rejects(hub, 'json') === 15,
        'all 615 messages handled',
        30_000,
      );
      expect(await hub.store.telemetryCount(d.id)).toBe(200);
      expect(hub.metrics.telemetryStored.get()).toBe(200);
      expect(hub.metrics.telemetryDuplicates.get()).toBe(400);
      expect(await hub.store.ackRanges(d.id, BOOT)).toEqual([[0, 199]]);
      await waitFor(
        () =>
          Array.from({ length: 200 }, (_, s) => s).every((s) =>
            acks.some((a) => rangesContain((a as Ack).ranges, s)),
          ),
        'every seq acked',
        30_000,
      );
      const text = await hub.api.metricsText();
      expect(text).toContain('edgefleet_hub_telemetry_duplicates_total 400');
      expect(text).toMatch(/edgefleet_hub_rejects_total\{reason="json"\} 15/);
      expect(rejects(hub, 'internal')).toBe(0);
    });

    it('refuses tampered and wrongly signed bundles at publish, and serves a bundle and a 20 MB blob over MQTT intact', async () => {
      const hub = await start();
      await expectCode(hub.api.publishRelease(tampered), 'EF_HUB_RELEASE_TAMPERED');
      await expectCode(hub.api.publishRelease(wronglySigned), 'EF_HUB_RELEASE_SIGNATURE');
      const release = await hub.api.publishRelease(bundle);
      expect((await hub.api.listReleases()).map((r) => r.version)).toEqual(['1.0.0']);

      const big = randomBytes(20 * 1024 * 1024);
      const { sha256 } = await (await BlobStore.open(hub.dataDir)).put(big);
      const [a, b] = await devices(hub, 'fetch-a', 'fetch-b');
      if (a === undefined || b === undefined) throw new Error('no devices');
      // Two devices at once: the blob server interleaves them.
      const [gotBundle, gotBig, gotQuarter] = await Promise.all([
        downloadBlob(a.client, a.id, release.sha256, release.bytes),
        downloadBlob(a.client, a.id, sha256, big.length),
        downloadBlob(b.client, b.id, sha256, big.length / 4),
      ]);
      expect(sha256Of(gotBundle)).toBe(release.sha256);
      expect(gotBundle.equals(bundle)).toBe(true);
      expect(sha256Of(gotBig)).toBe(sha256);
      expect(gotQuarter.equals(big.subarray(0, big.length / 4))).toBe(true);
      await waitFor(
        () => hub.metrics.blobBytesServed.get() >= release.bytes + big.length * 1.25,
        'served byte count',
      );
    }, 180_000);

    it('cuts off a revoked device and refuses it and a wrong secret, while serving the others', async () => {
      const hub = await start();
      const [a, b] = await devices(hub, 'revoke-a', 'revoke-b');
      if (a === undefined || b === undefined) throw new Error('no devices');
      await stillServes(hub, a, 0);
      const closed = nextClose(a.client, 20_000);
      await hub.api.revokeDevice(a.id);
      await closed;
      await expect(kit.pool.connect(hub.brokerUrl, a.id, a.password)).rejects.toThrow();
      await expect(kit.pool.connect(hub.brokerUrl, b.id, a.password)).rejects.toThrow();
      await stillServes(hub, b, 0);
      expect(await hub.store.telemetryCount(a.id)).toBe(1);
    });

    it('counts malformed JSON, schema violations, replays, unknown topics and oversized payloads, and keeps serving', async () => {
      const hub = await start();
      const [d, other] = await devices(hub, 'bad-01', 'bad-02');
      if (d === undefined || other === undefined) throw new Error('no devices');
      const tel = topics.telemetry(d.id, 'health');

      await d.client.publishAsync(tel, '{"device": "bad-01", ', { qos: 1 });
      await d.client.publishAsync(tel, Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
      await waitFor(() => rejects(hub, 'json') === 2, 'two json rejects');

      const badCpu = {
        ...healthBatch(d.id, 1),
        records: [{ ...(healthBatch(d.id, 1) as { records: object[] }).records[0], cpu: 7 }],
      };
      await d.client.publishAsync(tel, JSON.stringify(badCpu), { qos: 1 });
      await d.client.publishAsync(topics.status(d.id), '{"state":"installed"}', { qos: 1 });
      await waitFor(() => rejects(hub, 'schema') === 2, 'two schema rejects');

      await stillServes(hub, d, 1);
      // Replays of a stored seq: duplicates, counted and not stored (nor applied) again.
      await d.client.publishAsync(tel, JSON.stringify(healthBatch(d.id, 1, BOOT, 0.9)), {
        qos: 1,
      });
      await d.client.publishAsync(tel, JSON.stringify(healthBatch(d.id, 1, BOOT, 0.8)), {
        qos: 1,
      });
      await waitFor(() => hub.metrics.telemetryDuplicates.get() === 2, 'two duplicates');
      expect(await hub.store.telemetryCount(d.id)).toBe(1);
      expect((await hub.api.getDevice(d.id))?.health).toMatchObject({ cpu: 0.25 });

      let client = d.client;
      /** Sends what the broker may refuse: then the device is cut off and reconnects. */
      const send = async (topic: string, payload: Buffer | string, outcome: string) => {
        if (outcome === 'disconnect') {
          const closed = nextClose(client, 20_000);
          client.publish(topic, payload, { qos: 0 });
          await closed;
          client = await kit.connect(hub, d.id, d.password);
        } else {
          await client.publishAsync(topic, payload, { qos: 1 });
        }
      };
      const { unknownTopic, overCap: overCapOutcome } = current();
      await send(`ef/v1/d/${d.id}/tel/bogus`, '{}', unknownTopic);
      if (unknownTopic === 'counted') {
        await waitFor(() => rejects(hub, 'topic') === 1, 'unknown topic counted');
      }
      const overCap = Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES + 1, 0x20);
      await send(tel, overCap, overCapOutcome);
      if (overCapOutcome === 'counted') {
        await waitFor(() => rejects(hub, 'too-large') === 1, 'oversized payload counted');
      }
      await send(tel, randomBytes(10 * 1024 * 1024 - 1024), 'disconnect');

      await stillServes(hub, other, 0);
      await stillServes(hub, { ...d, client }, 2);
      expect(rejects(hub, 'internal')).toBe(0);
    }, 60_000);
  });
}
