/**
 * Issue 6, "Must show": SIGKILL during install, the old or the new model serves afterwards,
 * never none. A real agent process serving pm@1.0.0 installs pm@2.0.0 (the wide model, so
 * extraction and loading take a while); the test watches the install journal in the agent's
 * SQLite (`converge_executions.step`, written before each step is taken) and kills the process
 * as soon as the step reaches each kill point in turn, restarting it every time. Right after
 * each restart the very first prediction succeeds, with 1.0.0 or 2.0.0. A last kill during
 * probation is counted as a restart, not a failure; in the end 2.0.0 serves and the hub sees it
 * healthy, with no failure reported.
 */
import { readFile, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '@edgefleet/hub';
import {
  openDbReader,
  predict,
  startAgentProcess,
  startTestHub,
  writeDeviceConfig,
} from '../helpers/agent-process.js';
import type { AgentProcess, DbReader } from '../helpers/agent-process.js';
import { killAllProcesses } from '../helpers/spawn-process.js';
import { buildPmBundle, fixture, makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

/** The install steps in journal order; kill points are taken from these. */
const STEPS = [
  'pending',
  'downloading',
  'extracting',
  'preparing',
  'switching',
  'activating',
  'probation',
  'healthy',
];
const KILL_POINTS = ['extracting', 'preparing', 'switching', 'activating', 'probation'];

let trust: TrustFixture;
let bundleDir: string;
let v100: string;
let v200: string;
let dir: string | undefined;
let hub: RunningHub | undefined;
let reader: DbReader | undefined;

beforeAll(async () => {
  trust = makeTrust();
  bundleDir = mkdtempSync(join(tmpdir(), 'ef-install-bundles-'));
  v100 = await buildPmBundle(bundleDir, trust.release.privateKey, { version: '1.0.0' });
  v200 = await buildPmBundle(bundleDir, trust.release.privateKey, {
    version: '2.0.0',
    model: fixture('models/pm-wide-mlp.onnx'),
  });
  return () => rm(bundleDir, { recursive: true, force: true });
}, 180_000);

afterEach(async () => {
  reader?.close();
  reader = undefined;
  await killAllProcesses();
  await hub?.close();
  hub = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Polls the journal as fast as the event loop allows until `done(step)`; returns the step. */
async function watchStep(
  db: DbReader,
  done: (step: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = db.get<{ step: string }>(
      "SELECT step FROM converge_executions WHERE model = 'pm' AND version = '2.0.0' ORDER BY created_at DESC LIMIT 1",
    );
    if (row && done(row.step)) return row.step;
    if (Date.now() > deadline) throw new Error(`install step stayed ${row?.step ?? 'absent'}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('agent process killed during an install', () => {
  it('serves the old or the new model after every kill, never none, and converges', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-install-kill-'));
    hub = await startTestHub(dir, trust);
    await hub.api.publishRelease(await readFile(v100));
    await hub.api.publishRelease(await readFile(v200));
    const { provisioning } = await hub.api.enrollDevice('press-1', {});
    const config = await writeDeviceConfig(join(dir, 'device.json'), provisioning);
    const stateDir = join(dir, 'agent');

    // Long enough to be killed in once; a restart in probation counts as a crash (cap 2).
    const args = ['--probation', '3s'];
    let agent: AgentProcess = await startAgentProcess(config, stateDir, args);
    await hub.api.deploy('pm', '1.0.0', 'press-1');
    await waitFor(
      async () => (await predict(agent.info.apiUrl)).body.version === '1.0.0',
      60_000,
      'pm@1.0.0 serves',
    );
    // Through probation first: a newer desired state would otherwise supersede it (`failed`).
    await waitFor(
      async () =>
        (await hub?.store.deploymentHistory('press-1'))?.some(
          (s) => s.version === '1.0.0' && s.state === 'healthy',
        ),
      60_000,
      'the hub sees pm@1.0.0 healthy',
    );
    reader = openDbReader(join(stateDir, 'agent.db'));
    await hub.api.deploy('pm', '2.0.0', 'press-1');

    const kills: { target: string; seen: string; durable: string; served: string }[] = [];
    for (const target of KILL_POINTS) {
      const rank = STEPS.indexOf(target);
      const seen = await watchStep(reader, (s) => STEPS.indexOf(s) >= rank, 60_000);
      // One kill in probation only: each counts as a crash there, and the default cap is 2.
      const inProbation = (step: string) => step === 'probation';
      if (seen === 'healthy' || (inProbation(seen) && kills.some((k) => inProbation(k.durable)))) {
        break;
      }
      await agent.kill('SIGKILL');
      const durable = await watchStep(reader, () => true, 1000);
      expect(['failed', 'rolling-back', 'rolled-back']).not.toContain(durable);

      agent = await startAgentProcess(config, stateDir, args);
      // Never none: serving was restored before the API opened, and the first request works.
      expect(agent.info.serving.map((m) => m.name)).toEqual(['pm']);
      const reply = await predict(agent.info.apiUrl);
      expect(reply.status).toBe(200);
      expect(['1.0.0', '2.0.0']).toContain(reply.body.version);
      kills.push({ target, seen, durable, served: reply.body.version ?? '' });
    }
    expect(kills.length).toBeGreaterThanOrEqual(2);

    const final = agent;
    await waitFor(
      async () => (await predict(final.info.apiUrl)).body.version === '2.0.0',
      60_000,
      'pm@2.0.0 serves in the end',
    );
    await waitFor(
      async () =>
        (await hub?.store.deploymentHistory('press-1'))?.some(
          (s) => s.version === '2.0.0' && s.state === 'healthy',
        ),
      60_000,
      'the hub sees pm@2.0.0 healthy',
    );
    const restarts = reader.get<{ probation_restarts: number }>(
      "SELECT probation_restarts FROM converge_executions WHERE model = 'pm' AND version = '2.0.0'",
    )?.probation_restarts;
    expect(restarts).toBe(kills.filter((k) => k.durable === 'probation').length);
    const history = await hub.store.deploymentHistory('press-1');
    expect(history.filter((s) => ['failed', 'rolled-back'].includes(s.state))).toEqual([]);
    console.info(
      `install kill points (target -> step seen -> step on disk -> served after restart): ${kills
        .map((k) => `${k.target}->${k.seen}->${k.durable}->${k.served}`)
        .join(', ')}`,
    );
  }, 240_000);
});
