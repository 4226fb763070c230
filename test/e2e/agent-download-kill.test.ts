/**
 * Issue 6, "Must show": SIGKILL during download, it resumes, not restarts. A real agent process
 * serving pm@1.0.0 downloads pm@2.0.0 (the wide model, a bundle of dozens of 64 KiB blocks)
 * over MQTT from a real in-process hub, through an MQTT tap that holds the blob responses after
 * a dozen blocks, so the agent is killed mid-download at a known point. Restarted, it requests
 * (as the tap sees) only the blocks its SQLite bitmap does not hold, reports progress starting
 * from the kept bytes, installs 2.0.0, and served predictions throughout.
 */
import { readFile, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
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
import { startMqttTap } from '../helpers/mqtt-tap.js';
import type { MqttTap } from '../helpers/mqtt-tap.js';
import { killAllProcesses } from '../helpers/spawn-process.js';
import { buildPmBundle, fixture, makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const BLOCK = 64 * 1024;
/** Blocks the hub serves before holding: more than one bitmap flush (every 8 blocks). */
const SERVED_BEFORE_KILL = 12;

let trust: TrustFixture;
let bundleDir: string;
let v100: string;
let v200: string;
let dir: string | undefined;
let hub: RunningHub | undefined;
let tap: MqttTap | undefined;

beforeAll(async () => {
  trust = makeTrust();
  bundleDir = mkdtempSync(join(tmpdir(), 'ef-dl-bundles-'));
  v100 = await buildPmBundle(bundleDir, trust.release.privateKey, { version: '1.0.0' });
  v200 = await buildPmBundle(bundleDir, trust.release.privateKey, {
    version: '2.0.0',
    model: fixture('models/pm-wide-mlp.onnx'),
  });
  return () => rm(bundleDir, { recursive: true, force: true });
}, 180_000);

afterEach(async () => {
  await killAllProcesses();
  await tap?.close();
  tap = undefined;
  await hub?.close();
  hub = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

interface PartialRow {
  received_blocks: number;
  block_bytes: number;
  total_bytes: number;
  bitmap: Buffer;
}

const blocksOf = (bitmap: Buffer, count: number) =>
  Array.from({ length: count }, (_, i) => i).filter(
    (i) => ((bitmap[i >> 3] ?? 0) & (1 << (i & 7))) !== 0,
  );

describe('agent process killed during a bundle download', () => {
  it('resumes from its block bitmap after SIGKILL and installs the bundle', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-dl-kill-'));
    hub = await startTestHub(dir, trust);
    await hub.api.publishRelease(await readFile(v100));
    const release = await hub.api.publishRelease(await readFile(v200));
    const totalBlocks = Math.ceil(release.bytes / BLOCK);
    expect(totalBlocks).toBeGreaterThan(SERVED_BEFORE_KILL + 8);
    const { provisioning } = await hub.api.enrollDevice('press-1', {});
    tap = await startMqttTap(hub.brokerUrl);
    const config = await writeDeviceConfig(join(dir, 'device.json'), provisioning, {
      brokerUrl: tap.url,
    });
    const stateDir = join(dir, 'agent');
    const agentDb = join(stateDir, 'agent.db');

    const first = await startAgentProcess(config, stateDir);
    await hub.api.deploy('pm', '1.0.0', 'press-1');
    await waitFor(
      async () => (await predict(first.info.apiUrl)).body.version === '1.0.0',
      60_000,
      'pm@1.0.0 serves',
    );

    const isBlobResponse = (topic: string) => topic.endsWith('/blob/res');
    tap.hold(isBlobResponse, SERVED_BEFORE_KILL);
    await hub.api.deploy('pm', '2.0.0', 'press-1');
    const partial = () =>
      queryDb<PartialRow>(
        agentDb,
        'SELECT received_blocks, block_bytes, total_bytes, bitmap FROM download_partials WHERE sha256 = ?',
        release.sha256,
      )[0];
    await waitFor(
      () => (partial()?.received_blocks ?? 0) >= 8 && (tap?.held() ?? 0) > 0,
      60_000,
      'a bitmap flush on disk and the tap holding the next blocks',
    );
    // The old model keeps serving while the new one downloads.
    expect((await predict(first.info.apiUrl)).body.version).toBe('1.0.0');
    const killed = await first.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');

    const atKill = partial();
    expect(atKill).toBeDefined();
    const kept = blocksOf(atKill!.bitmap, totalBlocks);
    expect(kept.length).toBe(atKill!.received_blocks);
    expect(atKill!.block_bytes).toBe(BLOCK);
    const blockRequests = (from: number) =>
      (tap?.sent ?? [])
        .slice(from)
        .filter((p) => p.topic.endsWith('/blob/req'))
        .map((p) => JSON.parse(p.payload.toString('utf8')) as { sha256: string; offset: number })
        .filter((r) => r.sha256 === release.sha256);
    const beforeKill = blockRequests(0).length;

    // What was held belonged to the dead connection; nothing is held any more.
    tap.release();
    const mark = tap.sent.length;
    const second = await startAgentProcess(config, stateDir);
    const afterRestart = await predict(second.info.apiUrl);
    expect(afterRestart.status).toBe(200);
    expect(['1.0.0', '2.0.0']).toContain(afterRestart.body.version);
    await waitFor(
      async () => (await predict(second.info.apiUrl)).body.version === '2.0.0',
      60_000,
      'pm@2.0.0 serves after the resumed download',
    );

    const resumed = new Set(blockRequests(mark).map((r) => r.offset / BLOCK));
    // Only what the bitmap lacked was asked for again: nothing it held, everything it lacked.
    for (const block of kept) expect(resumed.has(block)).toBe(false);
    expect(resumed.size).toBe(totalBlocks - kept.length);

    // The hub saw the resume: the second boot's first progress starts at the kept bytes.
    const history = await hub.store.deploymentHistory('press-1');
    const resumedProgress = history
      .filter((s) => s.bootId === second.info.bootId && s.state === 'downloading')
      .map((s) => s.progress?.bytes ?? -1);
    expect(resumedProgress[0]).toBe(kept.length * BLOCK);
    await waitFor(
      async () =>
        (await hub?.store.deploymentHistory('press-1'))?.some(
          (s) => s.version === '2.0.0' && s.state === 'healthy',
        ),
      60_000,
      'the hub sees pm@2.0.0 healthy',
    );
    console.info(
      `download kill: ${totalBlocks} blocks of ${BLOCK} B; ${beforeKill} requested before the kill, ` +
        `${kept.length} kept on disk (${kept.length * BLOCK} B resumed), ${resumed.size} requested after the restart`,
    );
  }, 180_000);
});
