/**
 * Issue 7, "Must show": rollouts that must not go on. With the hub (`edgefleet hub start`) and
 * the fleet (`edgefleet sim`, real agents with fault knobs) as child processes over the embedded
 * broker: a wave over the failure threshold pauses, or rolls every touched device back to the
 * previous model; a wave under the success threshold does not advance; a drift-gate breach stops
 * the rollout. Explicit cohorts put the simulator's faulty devices into the first wave (the
 * simulator's own fault assignment tells which they are), so every run is the same.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutProgressView } from '@edgefleet/hub';
import { startHubProcess } from '../helpers/hub-process.js';
import type { HubProcess } from '../helpers/hub-process.js';
import {
  buildRolloutBundles,
  createRollout,
  faultyIds,
  latestSimStatus,
  reportedModels,
  simLayout,
  startSim,
} from '../helpers/rollout-fleet.js';
import type { RolloutBundles } from '../helpers/rollout-fleet.js';
import { killAllProcesses } from '../helpers/spawn-process.js';
import type { RunningProcess } from '../helpers/spawn-process.js';
import { makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const DEVICES = 8;
const SITES = 2;
const LAYOUT = simLayout(DEVICES, SITES);
const IDS = LAYOUT.map((d) => d.id);

let trust: TrustFixture;
let bundleDir: string;
let bundles: RolloutBundles;
let dir: string | undefined;

beforeAll(async () => {
  trust = makeTrust();
  bundleDir = mkdtempSync(join(tmpdir(), 'ef-rollout-bundles-'));
  bundles = await buildRolloutBundles(bundleDir, trust.release.privateKey);
  return () => rm(bundleDir, { recursive: true, force: true });
}, 120_000);

afterEach(async () => {
  await killAllProcesses();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A hub process with `releases` published and the simulated fleet connected. */
async function startFleet(
  releases: readonly string[],
  sim: { faults?: string; rate?: number } = {},
): Promise<HubProcess & { sim: RunningProcess }> {
  dir = mkdtempSync(join(tmpdir(), 'ef-rollout-stops-'));
  await trust.writeTo(join(dir, 'keys'));
  const hub = await startHubProcess({ dataDir: join(dir, 'hub'), keysDir: join(dir, 'keys') });
  for (const efb of releases) await hub.api.publish(efb);
  const fleet = await startSim(hub.api, {
    devices: DEVICES,
    sites: SITES,
    stateDir: join(dir, 'sim'),
    ...sim,
  });
  return { ...hub, sim: fleet };
}

/** Polls the rollout until `done` holds; fails at once on a state that can never satisfy it. */
function waitRollout(
  hub: HubProcess,
  id: string,
  done: (s: RolloutProgressView) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<RolloutProgressView> {
  let last: RolloutProgressView | undefined;
  return waitFor(
    async () => {
      const s = await hub.api.rollout(id);
      last = s;
      if (done(s)) return s;
      if (s.rollout.state === 'completed') throw new Error(`completed: ${JSON.stringify(s)}`);
      return undefined;
    },
    timeoutMs,
    what,
    250,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last status ${JSON.stringify(last)}`, { cause: err });
  });
}

/** Waves as `--waves` cohorts: `a,b;c,d`. */
const cohorts = (...waves: string[][]) => waves.map((w) => w.join(',')).join(';');

/** Rolls pm@1.0.0 out to every device in one wave and waits until each reports it. */
async function installV1Everywhere(hub: HubProcess): Promise<void> {
  const { rollout } = await createRollout(hub.api, 'pm@1.0.0', [
    '--select',
    'fleet=sim',
    '--waves',
    '100',
    '--soak',
    '1s',
  ]);
  await waitRollout(hub, rollout.id, (s) => s.rollout.state === 'completed', 'v1 everywhere');
}

/** Device ids that appear in the rollout's events of wave `index`. */
async function notifiedIn(hub: HubProcess, id: string, index: number): Promise<string[]> {
  const events = await hub.api.events(id);
  const ids = events.flatMap((e) => (e.wave === index && e.deviceId !== null ? [e.deviceId] : []));
  return [...new Set(ids)].sort();
}

/** Waits until every device in `ids` reports exactly `models`. */
async function expectModels(
  hub: HubProcess,
  ids: readonly string[],
  models: string,
): Promise<void> {
  for (const id of ids) {
    let seen: unknown;
    await waitFor(
      async () => {
        const device = await hub.api.device(id);
        seen = { models: device.models, deployments: device.deployments };
        return reportedModels(device).join() === models;
      },
      30_000,
      `${id} reports ${models || 'no model'}`,
      250,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last seen ${JSON.stringify(seen)}`, { cause: err });
    });
  }
}

describe('rollouts that stop (hub and sim processes)', () => {
  it('rolls every touched device back to the previous model when a wave fails', async () => {
    const faults = 'fail-install=25%@2.0.0';
    const failing = faultyIds(LAYOUT, faults, 'fail-install', '2.0.0');
    expect(failing).toHaveLength(2);
    const healthy = IDS.filter((id) => !failing.includes(id));
    const wave1 = [...failing, ...healthy.slice(0, 2)];
    const wave2 = healthy.slice(2);
    const hub = await startFleet([bundles.v1, bundles.v2], { faults });
    await installV1Everywhere(hub);

    const { rollout } = await createRollout(hub.api, 'pm@2.0.0', [
      '--select',
      'fleet=sim',
      '--waves',
      cohorts(wave1, wave2),
      '--soak',
      '2s',
      '--max-failures',
      '10%',
      '--on-failure',
      'rollback',
    ]);
    const done = await waitRollout(
      hub,
      rollout.id,
      // Every touched device reports v1 healthy again: those that installed v2 after switching
      // back, those whose v2 install failed because they still serve v1.
      (s) =>
        s.rollout.state === 'rolled-back' &&
        s.rollback !== null &&
        s.rollback.done + s.rollback.failed >= s.rollback.requested,
      'the failed wave is rolled back',
    );
    expect(done.rollout.reason?.code).toBe('wave-failed');
    expect(done.waves[0]?.state).toBe('failed');
    expect(done.waves[0]?.reason?.code).toBe('max-failures');
    expect(done.waves[1]?.state).toBe('scheduled');
    expect(done.rollback).toMatchObject({ requested: 4, assigned: 4, done: 4, failed: 0 });
    // Every agent, touched or not, serves v1 (and only v1) again; the second wave was never
    // notified. The hub's view shows v1 for every device that reported it since.
    await waitFor(
      () => latestSimStatus(hub.sim)?.serving['pm@1.0.0'] === DEVICES,
      30_000,
      'every agent serves pm@1.0.0',
      250,
    );
    await expectModels(
      hub,
      IDS.filter((id) => !failing.includes(id)),
      'pm@1.0.0',
    );
    expect(await notifiedIn(hub, rollout.id, 1)).toEqual([]);
    for (const id of failing) {
      const device = await hub.api.device(id);
      expect(
        device.desired?.models.map((m) => m.version),
        id,
      ).toEqual(['1.0.0']);
    }
  }, 180_000);

  it('pauses, without touching the next wave, when a wave fails with --on-failure pause', async () => {
    const faults = 'fail-install=25%@1.0.0';
    const failing = faultyIds(LAYOUT, faults, 'fail-install', '1.0.0');
    const healthy = IDS.filter((id) => !failing.includes(id));
    const wave1 = [...failing, ...healthy.slice(0, 2)];
    const wave2 = healthy.slice(2);
    const hub = await startFleet([bundles.v1], { faults });
    const { rollout } = await createRollout(hub.api, 'pm@1.0.0', [
      '--select',
      'fleet=sim',
      '--waves',
      cohorts(wave1, wave2),
      '--soak',
      '2s',
      '--max-failures',
      '10%',
    ]);
    const done = await waitRollout(
      hub,
      rollout.id,
      (s) => s.rollout.state === 'paused',
      'the failed wave pauses the rollout',
    );
    expect(done.rollout.reason?.code).toBe('wave-failed');
    expect(done.rollout.currentWave).toBe(0);
    expect(done.waves.map((w) => w.state)).toEqual(['failed', 'scheduled']);
    expect(await notifiedIn(hub, rollout.id, 1)).toEqual([]);
    await expectModels(hub, wave2, '');
  }, 180_000);

  it('does not advance past a wave that ends under --min-success', async () => {
    const faults = 'fail-install=13%@1.0.0';
    const failing = faultyIds(LAYOUT, faults, 'fail-install', '1.0.0');
    expect(failing).toHaveLength(1);
    const healthy = IDS.filter((id) => !failing.includes(id));
    const wave1 = [...failing, ...healthy.slice(0, 3)];
    const wave2 = healthy.slice(3);
    const hub = await startFleet([bundles.v1], { faults });
    const { rollout } = await createRollout(hub.api, 'pm@1.0.0', [
      '--select',
      'fleet=sim',
      '--waves',
      cohorts(wave1, wave2),
      '--soak',
      '1s',
      '--min-success',
      '100%',
      '--max-failures',
      '50%',
    ]);
    const done = await waitRollout(
      hub,
      rollout.id,
      (s) => s.rollout.state === 'paused',
      'the rollout pauses below min-success',
    );
    expect(done.rollout.reason?.code).toBe('below-min-success');
    expect(done.rollout.currentWave).toBe(0);
    expect(done.waves[0]?.counts['failed']).toBe(1);
    expect(done.waves[1]?.state).toBe('scheduled');
    await expectModels(hub, healthy.slice(0, 3), 'pm@1.0.0');
    expect(await notifiedIn(hub, rollout.id, 1)).toEqual([]);
    for (const id of wave2) {
      const device = await hub.api.device(id);
      expect(device.desired, id).toBeNull();
      expect(device.models, id).toEqual([]);
    }
  }, 180_000);

  it('stops the rollout on a drift-gate breach and rolls the canary wave back', async () => {
    const hub = await startFleet([bundles.v1, bundles.v2Drifted], { rate: 30 });
    await installV1Everywhere(hub);
    const { rollout } = await createRollout(hub.api, 'pm@2.0.0', [
      '--select',
      'fleet=sim',
      '--waves',
      '50,100',
      '--soak',
      '60s',
      '--min-reported',
      '2',
      '--gate',
      'drift<0.25',
      '--on-failure',
      'rollback',
    ]);
    const done = await waitRollout(
      hub,
      rollout.id,
      (s) => s.rollout.state === 'rolled-back',
      'the drift gate stops the rollout',
      90_000,
    );
    const gate = done.waves[0]?.gates.find((g) => g.gate === 'drift<0.25');
    expect(done.waves[0]?.reason?.code).toBe('gate');
    expect(gate?.status).toBe('fail');
    expect(gate?.value).toBeGreaterThanOrEqual(0.25);
    expect(done.waves[1]?.state).toBe('scheduled');
    expect(await notifiedIn(hub, rollout.id, 1)).toEqual([]);
    await expectModels(hub, IDS, 'pm@1.0.0');
  }, 180_000);
});
