/**
 * The two hub throughput measurements of the hub benchmark: telemetry ingest into the store and
 * blob serving over MQTT. The hub runs in this process (with the embedded broker, when that is
 * the broker); the devices run in a forked child, Mosquitto in its own process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { BlobStore } from '../../packages/hub/src/blobs/blob-store.js';
import { prepareDevices, startBenchHub } from './hub-bench-setup.js';
import type { BrokerKind } from './hub-bench-setup.js';

const MB = 1e6;

/** One telemetry run's figures. */
export interface TelemetryFigures {
  broker: BrokerKind;
  devices: number;
  messages: number;
  recordsPerBatch: number;
  window: number;
  payloadBytes: number;
  /** Messages stored per second, from `go` until the last one is in the store. */
  messagesPerSecond: number;
  recordsPerSecond: number;
  /** From `go` until every device saw every seq acked. */
  ackedAllMs: number;
  storedRows: number;
  duplicates: number;
  rejects: number;
  /** CPU of the hub process (this one: hub + embedded broker) and of the device child, in % of one core. */
  hubCpuPct: number;
  devicesCpuPct: number;
  /** CPU time of the hub process per message, in µs (less sensitive to a busy machine than msg/s). */
  hubCpuUsPerMessage: number;
  /** Mosquitto's CPU in % of one core over the run (undefined for the embedded broker). */
  brokerCpuPct: number | undefined;
}

/** One blob run's figures. */
export interface BlobFigures {
  broker: BrokerKind;
  devices: number;
  bytesPerDevice: number;
  blockBytes: number;
  window: number;
  /** All devices' bytes over the time until the last device had its last block. */
  aggregateMBps: number;
  /** Slowest and fastest device's own rate. */
  slowestMBps: number;
  fastestMBps: number;
  sha256Ok: boolean;
  retried: number;
}

const waitUntil = async (check: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

/**
 * Ingest: `devices` each send `messagesPerDevice` health batches of `recordsPerBatch` records,
 * with at most `window` unacked per device (an agent outbox's window, larger than its default 8).
 *
 * @example
 * const f = await measureTelemetry('embedded', { devices: 20, messagesPerDevice: 2500, recordsPerBatch: 5, window: 64 });
 */
export async function measureTelemetry(
  broker: BrokerKind,
  o: {
    devices: number;
    messagesPerDevice: number;
    recordsPerBatch: number;
    window: number;
    timeoutMs?: number;
  },
): Promise<TelemetryFigures> {
  const bench = await startBenchHub(broker, o.devices);
  try {
    const { hub } = bench;
    const total = o.devices * o.messagesPerDevice;
    const child = await prepareDevices({
      kind: 'telemetry',
      url: hub.brokerUrl,
      devices: bench.devices,
      messagesPerDevice: o.messagesPerDevice,
      recordsPerBatch: o.recordsPerBatch,
      window: o.window,
    });
    const handled = () => hub.metrics.telemetryStored.get() + hub.metrics.telemetryDuplicates.get();
    const cpu0 = process.cpuUsage();
    const broker0 = bench.brokerCpuMs();
    const t0 = performance.now();
    const reported = child.go();
    reported.catch(() => {});
    try {
      await waitUntil(() => handled() >= total, o.timeoutMs ?? 120_000, 'every message stored');
    } catch (err) {
      child.kill();
      const counters = hub.metrics
        .text()
        .split('\n')
        .filter((l) => /^edgefleet_hub_(messages_in|rejects|telemetry)/.test(l));
      throw new Error(`${(err as Error).message} (${handled()}/${total}): ${counters.join('; ')}`, {
        cause: err,
      });
    }
    const storedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const broker1 = bench.brokerCpuMs();
    const report = await reported;
    const storedRows = await hub.store.telemetryCount();
    return {
      broker,
      devices: o.devices,
      messages: total,
      recordsPerBatch: o.recordsPerBatch,
      window: o.window,
      payloadBytes: report.payloadBytes,
      messagesPerSecond: total / (storedMs / 1000),
      recordsPerSecond: (total * o.recordsPerBatch) / (storedMs / 1000),
      ackedAllMs: Math.max(...report.finishedMs),
      storedRows,
      duplicates: hub.metrics.telemetryDuplicates.get(),
      rejects: [...hub.metrics.text().matchAll(/^edgefleet_hub_rejects_total\{[^}]*\} (\d+)$/gm)]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0),
      hubCpuPct: ((cpu.user + cpu.system) / 1000 / storedMs) * 100,
      devicesCpuPct: (report.cpuMs / Math.max(...report.finishedMs)) * 100,
      hubCpuUsPerMessage: (cpu.user + cpu.system) / total,
      brokerCpuPct:
        broker0 === undefined || broker1 === undefined
          ? undefined
          : ((broker1 - broker0) / storedMs) * 100,
    };
  } finally {
    await bench.close();
  }
}

/**
 * Blob serving: `devices` download the first `bytesPerDevice` of a random blob at once, each
 * with `window` block requests of `blockBytes` in flight, and check what they got.
 *
 * @example
 * const f = await measureBlob('mosquitto', { devices: 1, bytesPerDevice: 32 * 2 ** 20, blockBytes: 65536, window: 8 });
 */
export async function measureBlob(
  broker: BrokerKind,
  o: { devices: number; bytesPerDevice: number; blockBytes: number; window: number },
): Promise<BlobFigures> {
  const bench = await startBenchHub(broker, o.devices);
  try {
    const bytes = randomBytes(o.bytesPerDevice);
    const { sha256 } = await (await BlobStore.open(bench.hub.dataDir)).put(bytes);
    const child = await prepareDevices({
      kind: 'blob',
      url: bench.hub.brokerUrl,
      devices: bench.devices,
      sha256,
      bytes: o.bytesPerDevice,
      blockBytes: o.blockBytes,
      window: o.window,
      requestTimeoutMs: 15_000,
    });
    const report = await child.go();
    const expected = createHash('sha256').update(bytes).digest('hex');
    const slowest = Math.max(...report.finishedMs);
    const fastest = Math.min(...report.finishedMs);
    return {
      broker,
      devices: o.devices,
      bytesPerDevice: o.bytesPerDevice,
      blockBytes: o.blockBytes,
      window: o.window,
      aggregateMBps: (o.devices * o.bytesPerDevice) / MB / (slowest / 1000),
      slowestMBps: o.bytesPerDevice / MB / (slowest / 1000),
      fastestMBps: o.bytesPerDevice / MB / (fastest / 1000),
      sha256Ok: report.sha256Ok && report.digests.every((d) => d === expected),
      retried: report.retried,
    };
  } finally {
    await bench.close();
  }
}
