/**
 * Staged rollouts through the running hub: the engine started by startHub, the embedded broker,
 * real signed releases and scripted devices answering over MQTT with statuses and telemetry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@edgefleet/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPmBundle, makeTrust } from '../../../../test/helpers/trust-fixture.js';
import type { RolloutProgressView } from '../../src/api/hub-api.js';
import type { RunningHub, StartHubOptions } from '../../src/hub/start-hub.js';
import { HubKit, waitFor } from './hub-test-kit.js';
import { ScriptedDevice } from './rollout-scripted-device.js';
import type { InstallScript } from './rollout-scripted-device.js';

const trust = makeTrust();
let buildDir: string;
let v1: Buffer;
let v2: Buffer;

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'ef-hub-rollout-build-'));
  v1 = await readFile(await buildPmBundle(buildDir, trust.release.privateKey));
  v2 = await readFile(
    await buildPmBundle(buildDir, trust.release.privateKey, { version: '1.1.0' }),
  );
});
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

// Fast engine timings so waves move within a test; the logic is the same at any speed.
const FAST = { tickIntervalMs: 50, gateIntervalMs: 100, reconcileIntervalMs: 300 };
const FINAL = ['completed', 'aborted', 'rolled-back'];

describe('staged rollouts in the running hub (embedded broker)', () => {
  const kit = new HubKit();
  afterEach(() => kit.cleanup());

  async function startHub(extra: Partial<StartHubOptions> = {}): Promise<RunningHub> {
    const keysDir = kit.tempDir('ef-hub-keys-');
    await trust.writeTo(keysDir);
    const hub = await kit.start({
      keyringPath: join(keysDir, 'keyring.json'),
      deployKeyPath: join(keysDir, 'deploy.key'),
      rolloutEngine: FAST,
      ...extra,
    } as Partial<StartHubOptions>);
    return hub;
  }

  /** Enrols `n` devices with `tags` and connects each as a scripted device. */
  async function fleet(
    hub: RunningHub,
    prefix: string,
    n: number,
    tags: Record<string, string>,
    script: InstallScript = {},
  ): Promise<ScriptedDevice[]> {
    const devices: ScriptedDevice[] = [];
    for (let i = 0; i < n; i++) {
      const id = `${prefix}-${i}`;
      const { provisioning } = await hub.api.enrollDevice(id, tags);
      const device = new ScriptedDevice(id, provisioning.rootPublicKeys, script);
      await connect(hub, device, provisioning.password);
      devices.push(device);
    }
    return devices;
  }

  async function connect(hub: RunningHub, device: ScriptedDevice, password: string) {
    const client = await kit.pool.connect(hub.brokerUrl, device.id, password);
    device.attach(client);
    await client.subscribeAsync([topics.desired(device.id), topics.ack(device.id)], { qos: 1 });
  }

  async function settled(hub: RunningHub, id: string, states = FINAL, timeoutMs = 20_000) {
    return waitFor(
      async () => {
        const status = await hub.api.getRolloutStatus(id);
        return states.includes(status.rollout.state) ? status : undefined;
      },
      `rollout ${id} to reach ${states.join(' or ')}`,
      timeoutMs,
    );
  }

  const wave = (status: RolloutProgressView, i: number) => status.waves[i];

  it('a 2-wave rollout reaches every selected device and only those', async () => {
    const hub = await startHub();
    await hub.api.publishRelease(v1);
    const selected = await fleet(hub, 'press-a', 4, { site: 'a' });
    const others = await fleet(hub, 'press-b', 2, { site: 'b' });

    const created = await hub.api.createRollout({
      release: 'pm@1.0.0',
      selector: 'site=a',
      waves: '50,100',
      soak: '200ms',
    });
    expect(created.rollout).toMatchObject({ state: 'running', currentWave: 0 });
    expect(created.waves.map((w) => w.size)).toEqual([2, 2]);

    const done = await settled(hub, created.rollout.id);
    expect(done.rollout.state).toBe('completed');
    expect(done.waves.map((w) => w.state)).toEqual(['passed', 'passed']);
    expect(done.devices.counts.healthy).toBe(4);
    for (const d of selected) {
      expect(d.installed.get('pm')).toBe('1.0.0');
      expect(d.last?.models[0]).toMatchObject({ rolloutId: created.rollout.id });
    }
    for (const d of others) expect(d.accepted).toEqual([]);
    // Statuses came over MQTT into the store and from there into the engine.
    const events = await hub.api.rolloutEvents(created.rollout.id);
    expect(
      events.filter((e) => e.type === 'device-state' && e.data['to'] === 'healthy'),
    ).toHaveLength(4);
    expect((await hub.api.listRollouts()).map((r) => r.id)).toEqual([created.rollout.id]);
  });

  it('a wave over the failure threshold pauses and the next wave is never notified', async () => {
    const hub = await startHub();
    await hub.api.publishRelease(v1);
    await hub.api.publishRelease(v2);
    const devices = await fleet(
      hub,
      'press',
      4,
      { site: 'a' },
      {
        failWith: (m) => (m.version === '1.1.0' ? 'EF_AGENT_SMOKE_TEST' : undefined),
      },
    );
    for (const d of devices) await hub.api.deploy('pm', '1.0.0', d.id);
    await waitFor(() => devices.every((d) => d.installed.get('pm') === '1.0.0'), 'v1 everywhere');

    const { rollout } = await hub.api.createRollout({
      release: 'pm@1.1.0',
      selector: 'site=a',
      waves: '50,100',
      soak: '200ms',
      maxFailures: '10%',
    });
    const paused = await settled(hub, rollout.id, ['paused']);
    expect(paused.rollout.reason?.code).toBe('wave-failed');
    expect(wave(paused, 0)).toMatchObject({ state: 'failed', reason: { code: 'max-failures' } });
    expect(wave(paused, 0)?.counts.failed).toBe(2);
    expect(wave(paused, 1)?.state).toBe('scheduled');
    const touched = devices.filter((d) => d.accepted.some((a) => a.models[0]?.version === '1.1.0'));
    expect(touched).toHaveLength(2);
    // Paused, not rolled back: the failed devices keep what they run.
    for (const d of devices) expect(d.installed.get('pm')).toBe('1.0.0');

    const aborted = await hub.api.abortRollout(rollout.id);
    expect(aborted.rollout.state).toBe('aborted');
  });

  it('a gate breach rolls every touched device back to the previous release', async () => {
    const hub = await startHub();
    await hub.api.publishRelease(v1);
    await hub.api.publishRelease(v2);
    // v2 installs fine but fails 20% of its requests on the devices.
    const devices = await fleet(
      hub,
      'press',
      4,
      { site: 'a' },
      {
        health: (m) =>
          m.version === '1.1.0'
            ? { requests: 100, errors: 20, p95: 4 }
            : { requests: 100, errors: 0, p95: 2 },
      },
    );
    for (const d of devices) await hub.api.deploy('pm', '1.0.0', d.id);
    await waitFor(() => devices.every((d) => d.installed.get('pm') === '1.0.0'), 'v1 everywhere');

    const { rollout } = await hub.api.createRollout({
      release: 'pm@1.1.0',
      selector: 'site=a',
      waves: '50,100',
      soak: '2s',
      gates: ['error-rate<1%'],
      onFailure: 'rollback',
    });
    const rolledBack = await settled(hub, rollout.id, ['rolled-back']);
    expect(wave(rolledBack, 0)?.reason?.code).toBe('gate');
    const gate = wave(rolledBack, 0)?.gates[0];
    expect(gate).toMatchObject({ gate: 'error-rate<1%', status: 'fail', unit: 'share' });
    expect(gate?.value).toBeCloseTo(0.2);

    const touched = devices.filter((d) => d.accepted.some((a) => a.models[0]?.version === '1.1.0'));
    expect(touched).toHaveLength(2);
    await waitFor(
      () => touched.every((d) => d.installed.get('pm') === '1.0.0'),
      'touched devices back on v1',
    );
    for (const d of touched) {
      const forward = d.accepted.find((a) => a.models[0]?.version === '1.1.0');
      const back = d.last;
      expect(back?.models[0]).toMatchObject({ name: 'pm', version: '1.0.0' });
      expect(back?.allowDowngrade).toBe(true);
      expect(back?.version).toBeGreaterThan(forward?.version ?? Infinity);
    }
    const untouched = devices.filter((d) => !touched.includes(d));
    for (const d of untouched) expect(d.accepted).toHaveLength(1);
    const final = await waitFor(async () => {
      const s = await hub.api.getRolloutStatus(rollout.id);
      return s.rollback?.done === 2 ? s : undefined;
    }, 'the rollback to be reported done');
    expect(final.rollback).toMatchObject({ requested: 2, assigned: 2, failed: 0 });
    expect(final.devices.counts['rolled-back']).toBe(2);
  });

  it('a drift gate breach pauses the rollout', async () => {
    const hub = await startHub();
    await hub.api.publishRelease(v1);
    await hub.api.publishRelease(v2);
    const devices = await fleet(
      hub,
      'press',
      2,
      { site: 'a' },
      {
        drift: (m) => (m.version === '1.1.0' ? { windows: 4, drifted: 3, share: 0.75 } : undefined),
      },
    );
    for (const d of devices) await hub.api.deploy('pm', '1.0.0', d.id);
    await waitFor(() => devices.every((d) => d.installed.get('pm') === '1.0.0'), 'v1 everywhere');
    const { rollout } = await hub.api.createRollout({
      release: 'pm@1.1.0',
      selector: 'site=a',
      waves: '50,100',
      soak: '2s',
      gates: ['drift<0.25', 'drift-score<0.5'],
    });
    const paused = await settled(hub, rollout.id, ['paused']);
    const gates = wave(paused, 0)?.gates ?? [];
    expect(gates.map((g) => [g.gate, g.status, g.value])).toEqual([
      ['drift<0.25', 'fail', 0.75],
      ['drift-score<0.5', 'fail', 0.75],
    ]);
  });

  it('resumes a running rollout after a hub restart', async () => {
    const dataDir = kit.tempDir();
    let hub = await startHub({ dataDir });
    await hub.api.publishRelease(v1);
    const passwords = new Map<string, string>();
    const devices: ScriptedDevice[] = [];
    for (let i = 0; i < 4; i++) {
      const { provisioning } = await hub.api.enrollDevice(`press-${i}`, { site: 'a' });
      passwords.set(provisioning.deviceId, provisioning.password);
      const device = new ScriptedDevice(provisioning.deviceId, provisioning.rootPublicKeys);
      await connect(hub, device, provisioning.password);
      devices.push(device);
    }
    // The first hub stops while wave 0 soaks; the restarted one finishes the soak and wave 1.
    const { rollout } = await hub.api.createRollout({
      release: 'pm@1.0.0',
      selector: 'site=a',
      waves: '50,100',
      soak: '2s',
    });
    await waitFor(async () => {
      const s = await hub.api.getRolloutStatus(rollout.id);
      return wave(s, 0)?.state === 'soaking' || undefined;
    }, 'wave 0 soaking');
    await kit.pool.closeAll();
    await hub.close();

    hub = await startHub({ dataDir });
    for (const d of devices) await connect(hub, d, passwords.get(d.id) ?? '');
    const done = await settled(hub, rollout.id);
    expect(done.rollout.state).toBe('completed');
    expect(devices.every((d) => d.installed.get('pm') === '1.0.0')).toBe(true);
    // Wave 0's devices were notified once, by the first hub.
    const firstWave = devices.filter((d) => d.accepted.length === 1);
    expect(firstWave.length).toBe(4);
  });
});
