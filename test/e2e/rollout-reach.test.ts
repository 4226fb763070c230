/**
 * Issue 7, "Must show": a rollout reaches every selected device, and only those. The hub is
 * `edgefleet hub start` and the fleet `edgefleet sim` (real agents), both child processes from
 * source, over the embedded broker and over a real Mosquitto; the rollout is created with
 * `edgefleet rollout create` and followed through the hub's HTTP API.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HUB_BROKER_USERNAME, hashDeviceSecret, loadHubBrokerSecret } from '@edgefleet/hub';
import { startHubProcess } from '../helpers/hub-process.js';
import type { HubProcess } from '../helpers/hub-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import type { RunningMosquitto } from '../helpers/mosquitto.js';
import {
  buildRolloutBundles,
  createRollout,
  preEnrolSim,
  reportedModels,
  simLayout,
  startSim,
} from '../helpers/rollout-fleet.js';
import type { RolloutBundles } from '../helpers/rollout-fleet.js';
import { killAllProcesses } from '../helpers/spawn-process.js';
import { makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const DEVICES = 9;
const SITES = 3;

let trust: TrustFixture;
let bundleDir: string;
let bundles: RolloutBundles;
let dir: string | undefined;
let mosquitto: RunningMosquitto | undefined;

beforeAll(async () => {
  trust = makeTrust();
  bundleDir = mkdtempSync(join(tmpdir(), 'ef-rollout-bundles-'));
  bundles = await buildRolloutBundles(bundleDir, trust.release.privateKey);
  return () => rm(bundleDir, { recursive: true, force: true });
}, 120_000);

afterEach(async () => {
  await killAllProcesses();
  await mosquitto?.stop();
  mosquitto = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Rolls pm@1.0.0 out to site-2 in two waves and checks every device's reported models. */
async function rolloutToSite2(hub: HubProcess): Promise<void> {
  const layout = simLayout(DEVICES, SITES);
  const selected = layout.filter((d) => d.site === 'site-2').map((d) => d.id);
  const created = await createRollout(hub.api, 'pm@1.0.0', [
    '--select',
    'site=site-2',
    '--waves',
    '50,100',
    '--soak',
    '1s',
    '--min-reported',
    '1',
  ]);
  const id = created.rollout.id;
  expect(created.devices.total).toBe(selected.length);

  const done = await waitFor(
    async () => {
      const s = await hub.api.rollout(id);
      if (['paused', 'aborted', 'rolled-back'].includes(s.rollout.state)) {
        throw new Error(`rollout stopped: ${JSON.stringify(s.rollout)}`);
      }
      return s.rollout.state === 'completed' ? s : undefined;
    },
    90_000,
    'the rollout completes',
    500,
  );
  expect(done.waves.map((w) => w.state)).toEqual(['passed', 'passed']);
  expect(done.devices.notified).toBe(selected.length);

  // Every selected device reports pm@1.0.0; the other sites were never given a model.
  for (const id of selected) {
    await waitFor(
      async () => reportedModels(await hub.api.device(id)).join() === 'pm@1.0.0',
      30_000,
      `${id} reports pm@1.0.0`,
      250,
    );
  }
  for (const d of layout.filter((x) => x.site !== 'site-2')) {
    const view = await hub.api.device(d.id);
    expect(view.models, d.id).toEqual([]);
    expect(view.desired, d.id).toBeNull();
  }
  const touched = new Set(
    (await hub.api.events(id)).flatMap((e) => (e.deviceId === null ? [] : [e.deviceId])),
  );
  expect([...touched].sort()).toEqual([...selected].sort());
}

describe('rollout end to end (hub and sim processes)', () => {
  it('reaches every device of the selected site over the embedded broker', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-rollout-reach-'));
    await trust.writeTo(join(dir, 'keys'));
    const hub = await startHubProcess({ dataDir: join(dir, 'hub'), keysDir: join(dir, 'keys') });
    await hub.api.publish(bundles.v1);
    await startSim(hub.api, { devices: DEVICES, sites: SITES, stateDir: join(dir, 'sim') });
    await rolloutToSite2(hub);
  }, 180_000);

  it('reaches every device of the selected site over Mosquitto', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-rollout-reach-mq-'));
    const dataDir = join(dir, 'hub');
    await trust.writeTo(join(dir, 'keys'));
    const hubUser = {
      username: HUB_BROKER_USERNAME,
      secretHash: await hashDeviceSecret(await loadHubBrokerSecret(dataDir)),
    };
    mosquitto = await startMosquitto({ dir, devices: [], hub: hubUser });
    const hub = await startHubProcess({
      dataDir,
      keysDir: join(dir, 'keys'),
      brokerUrl: mosquitto.url,
    });
    expect(hub.proc.info.brokerUrl).toBe(mosquitto.url);
    await hub.api.publish(bundles.v1);
    // Mosquitto knows a device only from its password file: enrol first, then reload it.
    const stateDir = join(dir, 'sim');
    const enrolled = await preEnrolSim(hub.api, simLayout(DEVICES, SITES), stateDir);
    const devices = await Promise.all(
      enrolled.map(async (p) => ({
        id: p.deviceId,
        secretHash: await hashDeviceSecret(p.password),
        revoked: false,
      })),
    );
    await mosquitto.reload({ devices });
    await startSim(hub.api, { devices: DEVICES, sites: SITES, stateDir });
    await waitFor(
      async () => (await hub.api.devices('fleet=sim')).filter((d) => d.online).length === DEVICES,
      60_000,
      'every agent is connected through Mosquitto',
      250,
    );
    await rolloutToSite2(hub);
  }, 180_000);
});
