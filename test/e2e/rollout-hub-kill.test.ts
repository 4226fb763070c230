/**
 * Issue 7, "Must show": a SIGKILLed hub resumes its rollout. The hub (`edgefleet hub start`,
 * embedded broker on fixed ports) is killed with SIGKILL in the middle of a three-wave rollout
 * to a simulated fleet (`edgefleet sim`, real agents), restarted on the same data directory and
 * ports; the agents reconnect by themselves and the rollout completes, every device on the new
 * version, no device notified twice.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutProgressView } from '@edgefleet/hub';
import { freePort, restartHubProcess, startHubProcess } from '../helpers/hub-process.js';
import {
  buildRolloutBundles,
  createRollout,
  reportedModels,
  simLayout,
  startSim,
} from '../helpers/rollout-fleet.js';
import type { RolloutBundles } from '../helpers/rollout-fleet.js';
import { killAllProcesses } from '../helpers/spawn-process.js';
import { makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const DEVICES = 8;
const SITES = 2;

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

describe('rollout across a hub crash (hub and sim processes)', () => {
  it('resumes after SIGKILL and completes without notifying a device twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-rollout-kill-'));
    await trust.writeTo(join(dir, 'keys'));
    // Fixed ports: the agents' device.json names the broker, and it must be there again.
    const options = {
      dataDir: join(dir, 'hub'),
      keysDir: join(dir, 'keys'),
      httpPort: await freePort(),
      mqttPort: await freePort(),
    };
    const first = await startHubProcess(options);
    await first.api.publish(bundles.v1);
    await startSim(first.api, { devices: DEVICES, sites: SITES, stateDir: join(dir, 'sim') });
    const { rollout } = await createRollout(first.api, 'pm@1.0.0', [
      '--select',
      'fleet=sim',
      '--waves',
      '25,50,100',
      '--soak',
      '3s',
      '--min-reported',
      '1',
    ]);
    const id = rollout.id;

    // Kill it once the second wave has been notified: mid-rollout, with a wave in flight.
    const before = await waitFor(
      async () => {
        const s = await first.api.rollout(id);
        return s.rollout.currentWave >= 1 && s.rollout.state === 'running' ? s : undefined;
      },
      60_000,
      'the second wave starts',
      100,
    );
    await first.proc.kill('SIGKILL');
    expect(before.rollout.state).toBe('running');
    expect(before.waves[2]?.state).toBe('scheduled');

    const second = await restartHubProcess(options);
    let last: RolloutProgressView | undefined;
    const done = await waitFor(
      async () => {
        last = await second.api.rollout(id);
        if (['paused', 'aborted', 'rolled-back'].includes(last.rollout.state)) {
          throw new Error(`rollout stopped: ${JSON.stringify(last)}`);
        }
        return last.rollout.state === 'completed' ? last : undefined;
      },
      90_000,
      'the rollout completes after the restart',
      500,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last status ${JSON.stringify(last)}`, { cause: err });
    });
    expect(done.waves.map((w) => w.state)).toEqual(['passed', 'passed', 'passed']);
    expect(done.devices.notified).toBe(DEVICES);

    for (const d of simLayout(DEVICES, SITES)) {
      await waitFor(
        async () => reportedModels(await second.api.device(d.id)).join() === 'pm@1.0.0',
        30_000,
        `${d.id} reports pm@1.0.0`,
        250,
      );
    }
    // Each device was notified exactly once, in its one wave, across both hub processes.
    const events = await second.api.events(id);
    const notified = events.filter(
      (e) => e.type === 'device-state' && (e.data as { to?: string }).to === 'notified',
    );
    const ids = notified.map((e) => e.deviceId ?? '');
    expect(ids.slice().sort()).toEqual(
      simLayout(DEVICES, SITES)
        .map((d) => d.id)
        .sort(),
    );
    const waves = new Map<string, Set<number | null>>();
    for (const e of events.filter((x) => x.deviceId !== null)) {
      const key = e.deviceId ?? '';
      waves.set(key, (waves.get(key) ?? new Set()).add(e.wave));
    }
    for (const [device, seen] of waves) expect(seen.size, device).toBe(1);
  }, 180_000);
});
