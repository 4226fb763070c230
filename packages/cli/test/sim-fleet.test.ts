/**
 * The fleet simulator against a real hub in this process (HTTP API and embedded broker on
 * port 0, SQLite, a compiled signed PM bundle): ten real agents in two sites on one shared
 * worker pool, a fifth of them failing installs on purpose.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startHub } from '@edgefleet/hub';
import type { RunningHub } from '@edgefleet/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFleet } from '../src/sim/start-fleet.js';
import type { FleetEvent, RunningFleet } from '../src/sim/start-fleet.js';
import { buildPmBundle, makeTrust } from '../../../test/helpers/trust-fixture.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

let dir: string;
let hub: RunningHub;
let token: string;
let fleet: RunningFleet | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ef-sim-'));
  const trust = makeTrust();
  await trust.writeTo(join(dir, 'keys'));
  hub = await startHub({
    dataDir: join(dir, 'hub'),
    host: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    keyringPath: join(dir, 'keys', 'keyring.json'),
    deployKeyPath: join(dir, 'keys', 'deploy.key'),
    logLevel: false,
  });
  token = hub.operatorToken ?? (await readFile(hub.operatorTokenPath, 'utf8')).trim();
  const efb = await buildPmBundle(dir, trust.release.privateKey, { version: '1.0.0' });
  await hub.api.publishRelease(await readFile(efb));
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await hub?.close();
  await rm(dir, { recursive: true, force: true });
});

function fleetOptions(events: FleetEvent[]) {
  return {
    hubUrl: hub.httpUrl,
    token,
    devices: 10,
    sites: 2,
    faults: 'fail-install=20%',
    stateRoot: join(dir, 'fleet'),
    rate: 5,
    workers: 1,
    healthIntervalMs: 500,
    probationMs: 500,
    onEvent: (e: FleetEvent) => events.push(e),
  };
}

describe('startFleet', () => {
  it('enrols and runs the devices; healthy ones serve v1, fail-install ones report the code', async () => {
    const events: FleetEvent[] = [];
    fleet = await startFleet(fleetOptions(events));
    const ids = fleet.devices.map((d) => d.id);
    expect(ids).toHaveLength(10);
    expect(ids.slice(0, 3)).toEqual(['sim-1-0001', 'sim-2-0002', 'sim-1-0003']);
    expect(events.filter((e) => e.type === 'enrolled' && !e.reused)).toHaveLength(10);
    const enrolled = await hub.api.listDevices({ fleet: 'sim', site: 'site-2' });
    expect(enrolled.map((d) => d.id).sort()).toEqual(ids.filter((id) => id.startsWith('sim-2-')));

    const faulty = fleet.devices.filter((d) => d.faults.includes('fail-install')).map((d) => d.id);
    expect(faulty).toHaveLength(2);
    const healthy = ids.filter((id) => !faulty.includes(id));
    await Promise.all(ids.map((id) => hub.api.deploy('pm', '1.0.0', id)));

    const running = fleet;
    await waitFor(
      () => running.summary().serving['pm@1.0.0'] === healthy.length,
      40_000,
      'every healthy device serves pm@1.0.0',
    );
    await waitFor(
      async () => {
        const views = await Promise.all(ids.map((id) => hub.api.getDevice(id)));
        return views.every((v) => {
          const d = v?.deployments.find((x) => x.model === 'pm' && x.version === '1.0.0');
          return faulty.includes(v!.id)
            ? d?.state === 'failed' && d.errorCode === 'EF_CLI_SIM_INSTALL_FAULT'
            : d?.state === 'healthy';
        });
      },
      40_000,
      'the hub sees the healthy devices healthy and the faulty ones failed with the code',
    );
    await waitFor(
      () => running.summary().list.every((d) => d.serving.length === 0 || d.predictions > 0),
      20_000,
      'every serving device has answered predictions',
    );
    const summary = running.summary();
    expect(summary).toMatchObject({
      devices: 10,
      serving: { 'pm@1.0.0': 8, none: 2 },
      predictionErrors: 0,
      pool: { workers: 1, sessions: 1, crashes: 0 },
    });
    for (const id of faulty) {
      expect(summary.list.find((d) => d.id === id)).toMatchObject({ serving: [], predictions: 0 });
    }
    expect(events.some((e) => e.type === 'serving' && e.models[0]?.version === '1.0.0')).toBe(true);
  }, 90_000);

  it('re-uses the enrolments and installed bundles of an earlier run in the same state dir', async () => {
    await fleet?.stop();
    const events: FleetEvent[] = [];
    fleet = await startFleet(fleetOptions(events));
    expect(events.filter((e) => e.type === 'enrolled' && e.reused)).toHaveLength(10);
    // Restored from disk at start: no broker or desired state needed to serve again.
    expect(fleet.summary().serving).toEqual({ 'pm@1.0.0': 8, none: 2 });
    const running = fleet;
    await waitFor(() => running.summary().connected === 10, 20_000, 'every device reconnects');
  }, 60_000);
});
