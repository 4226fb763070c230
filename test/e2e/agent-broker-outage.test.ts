/**
 * Issue 6, "Must show": with the broker stopped for a while, reports buffer, then drain in
 * order per stream. A real agent process serving pm@1.0.0 reports health every 100 ms and a
 * drift window per 500 predictions (140 windows during the outage: more than one batch holds);
 * the hub (and its embedded broker) is stopped; the agent keeps serving and its outbox grows;
 * the hub restarts on the same data and port; the agent reconnects and drains. In the hub's
 * store, per stream, batches arrived in seq order and records in time order, and the boot's
 * seqs have no gap (nothing lost).
 */
import { readFile, rm } from 'node:fs/promises';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@edgefleet/hub';
import {
  predict,
  queryDb,
  startAgentProcess,
  startTestHub,
  writeDeviceConfig,
} from '../helpers/agent-process.js';
import { killAllProcesses } from '../helpers/spawn-process.js';
import { buildPmBundle, fixture, makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const DEVICE = 'press-1';
/** The agent's default drift window (`drift.windowCount`) is 500 rows: two windows per request. */
const REQUEST_ROWS = 1000;
/**
 * Drift windows (about 2 KB each) made during the outage: more than one 255 KB batch holds, so
 * the drift backlog drains as several messages whose order can be checked.
 */
const OUTAGE_WINDOWS = 140;
/** How long the broker stays down at least. */
const OUTAGE_MS = 4000;

let trust: TrustFixture;
let bundleDir: string;
let v100: string;
let rows: number[][];
let dir: string | undefined;
let hub: RunningHub | undefined;

beforeAll(async () => {
  trust = makeTrust();
  bundleDir = mkdtempSync(join(tmpdir(), 'ef-outage-bundles-'));
  v100 = await buildPmBundle(bundleDir, trust.release.privateKey, { version: '1.0.0' });
  rows = readFileSync(fixture('data/pm/eval.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, 1 + REQUEST_ROWS)
    .map((line) => line.split(',').slice(0, 8).map(Number));
  return () => rm(bundleDir, { recursive: true, force: true });
}, 120_000);

afterEach(async () => {
  await killAllProcesses();
  await hub?.close();
  hub = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

interface StoredRow {
  id: number;
  boot_id: string;
  seq: number;
  stream: string;
  payload_json: string;
}

/** The hub restarted on the same data and broker port (retried while the port is released). */
async function restartHub(workDir: string, port: number): Promise<RunningHub> {
  return waitFor(
    async () => {
      try {
        return await startTestHub(workDir, trust, { mqttPort: port });
      } catch (err) {
        if ((err as { code?: string }).code === 'EF_HUB_PORT_IN_USE') return undefined;
        throw err;
      }
    },
    30_000,
    `the hub listens on port ${port} again`,
    200,
  );
}

async function outboxDepth(apiUrl: string): Promise<number> {
  const res = await fetch(`${apiUrl}/healthz`);
  return ((await res.json()) as { outbox: { depth: number } }).outbox.depth;
}

describe('agent process while the broker is down', () => {
  it('buffers reports and drains them in order per stream when the broker returns', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-outage-'));
    const workDir = dir;
    hub = await startTestHub(workDir, trust);
    const port = Number(new URL(hub.brokerUrl).port);
    await hub.api.publishRelease(await readFile(v100));
    const { provisioning } = await hub.api.enrollDevice(DEVICE, {});
    const config = await writeDeviceConfig(join(workDir, 'device.json'), provisioning);
    const agent = await startAgentProcess(config, join(workDir, 'agent'), [
      '--health-interval',
      '100ms',
    ]);
    const { apiUrl, bootId } = agent.info;
    await hub.api.deploy('pm', '1.0.0', DEVICE);
    await waitFor(
      async () => (await predict(apiUrl)).body.version === '1.0.0',
      60_000,
      'pm@1.0.0 serves',
    );
    expect((await predict(apiUrl, rows.slice(0, 500))).status).toBe(200);
    await waitFor(
      async () => (await hub?.api.getDevice(DEVICE))?.drift.length === 1,
      30_000,
      'a drift window reached the hub while connected',
    );

    // The broker goes away with the hub.
    await hub.close();
    hub = undefined;
    const stoppedAt = Date.now();
    const depthAtStop = await outboxDepth(apiUrl);
    let windows = 0;
    await waitFor(
      async () => {
        // Predictions keep working; each request closes two drift windows.
        const reply = await predict(apiUrl, rows);
        expect(reply.status).toBe(200);
        windows += 2;
        return (
          windows >= OUTAGE_WINDOWS &&
          Date.now() - stoppedAt >= OUTAGE_MS &&
          (await outboxDepth(apiUrl)) >= depthAtStop + 20
        );
      },
      60_000,
      'reports buffered while the broker is down',
    );
    const depthBuffered = await outboxDepth(apiUrl);
    const healthz = (await (await fetch(`${apiUrl}/healthz`)).json()) as { broker: string };
    expect(healthz.broker).toBe('disconnected');

    hub = await restartHub(workDir, port);
    const back = Date.now();
    const outageMs = back - stoppedAt;
    await waitFor(
      async () => (await outboxDepth(apiUrl)) < 10,
      60_000,
      'the outbox drained after the broker returned',
    );
    const drainMs = Date.now() - back;

    const hubDb = join(hub.dataDir, 'hub.db');
    const stored = () =>
      queryDb<StoredRow>(
        hubDb,
        'SELECT id, boot_id, seq, stream, payload_json FROM telemetry WHERE device_id = ? AND boot_id = ? ORDER BY id',
        DEVICE,
        bootId,
      );
    // Nothing lost: the boot's seqs (shared by every stream and status) have no gap.
    const all = await waitFor(
      () => {
        const got = stored();
        const seqs = got.map((r) => r.seq).sort((a, b) => a - b);
        return seqs.every((s, i) => s === i) ? got : undefined;
      },
      30_000,
      'every seq of the boot stored',
    );
    const perStream = new Map<string, StoredRow[]>();
    for (const row of all) perStream.set(row.stream, [...(perStream.get(row.stream) ?? []), row]);
    const timeOf = (stream: string, record: Record<string, unknown>) =>
      Date.parse(String(stream === 'drift' ? record['windowEnd'] : record['ts']));
    for (const [stream, list] of perStream) {
      // In arrival (insert) order, seqs rise and record times never go back.
      const seqs = list.map((r) => r.seq);
      expect(seqs, `${stream} seqs in arrival order`).toEqual([...seqs].sort((a, b) => a - b));
      if (stream === 'status') continue;
      const times = list.flatMap((r) =>
        (JSON.parse(r.payload_json) as { records: Record<string, unknown>[] }).records.map((rec) =>
          timeOf(stream, rec),
        ),
      );
      expect(times, `${stream} record times in arrival order`).toEqual(
        [...times].sort((a, b) => a - b),
      );
    }
    const driftMessages = perStream.get('drift')?.length ?? 0;
    expect(driftMessages).toBeGreaterThanOrEqual(3);
    const driftRecords = (perStream.get('drift') ?? []).flatMap(
      (r) => (JSON.parse(r.payload_json) as { records: unknown[] }).records,
    );
    expect(driftRecords).toHaveLength(1 + windows);
    const healthTimes = (perStream.get('health') ?? []).flatMap((r) =>
      (JSON.parse(r.payload_json) as { records: { ts: string }[] }).records.map((rec) =>
        Date.parse(rec.ts),
      ),
    );
    // The 100 ms health reports of the outage are there, not only those after it.
    const duringOutage = healthTimes.filter((t) => t > stoppedAt && t < back).length;
    expect(duringOutage).toBeGreaterThanOrEqual(OUTAGE_MS / 100 / 2);
    const healthz2 = (await (await fetch(`${apiUrl}/healthz`)).json()) as { broker: string };
    expect(healthz2.broker).toBe('connected');
    console.info(
      `broker outage of ${outageMs} ms: outbox depth ${depthAtStop} -> ${depthBuffered}; drained ${drainMs} ms ` +
        `after the broker returned; ${all.length} messages of this boot stored (seqs 0..${all.length - 1}, no gap), ` +
        `${healthTimes.length} health records (${duringOutage} from the outage), ${driftRecords.length} drift windows in ${driftMessages} messages, in order per stream`,
    );
  }, 180_000);
});
