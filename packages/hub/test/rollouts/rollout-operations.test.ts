import { afterEach, describe, expect, it } from 'vitest';
import { cleanupDirs, expectCode, V1 } from './fakes.js';
import { closeHarnesses, drive, harness, HAPPY } from './engine-harness.js';

afterEach(async () => {
  await closeHarnesses();
  cleanupDirs();
});

const base = {
  release: 'pm-mlp@2.0.0',
  selector: 'site=a',
  waves: '50,100',
  soakMs: '1m',
  minReported: 1,
};

describe('rollout engine: operator transitions', () => {
  it('pauses, resumes, aborts and rolls back, refusing illegal moves with codes', async () => {
    const h = harness();
    h.fleet.enroll(6);
    const r = await h.engine.create(base);
    await h.engine.tick();
    expect(h.fleet.notified()).toHaveLength(3);
    expect((await h.engine.pause(r.id)).state).toBe('paused');
    await expectCode(h.engine.pause(r.id), 'EF_HUB_ROLLOUT_TRANSITION');
    // Paused: statuses are followed, nobody new is notified.
    await drive(h, r.id, undefined, { maxSteps: 1 });
    for (let i = 0; i < 120; i++) {
      await h.engine.tick();
      h.time.advance(1000);
    }
    expect(h.fleet.notified()).toHaveLength(3);
    expect((await h.engine.resume(r.id)).state).toBe('running');
    await expectCode(h.engine.resume(r.id), 'EF_HUB_ROLLOUT_TRANSITION');
    const aborted = await h.engine.abort(r.id);
    expect(aborted.state).toBe('aborted');
    expect(aborted.finishedAt).toBe(h.time.now());
    await expectCode(h.engine.resume(r.id), 'EF_HUB_ROLLOUT_TRANSITION');
    await expectCode(h.engine.abort(r.id), 'EF_HUB_ROLLOUT_TRANSITION');
    await h.engine.tick();
    expect(h.fleet.notified()).toHaveLength(3);
    expect((await h.engine.rollback(r.id)).state).toBe('rolled-back');
    expect(
      h.fleet.assignments.filter((a) => a.options.allowDowngrade).map((a) => a.release),
    ).toEqual([V1, V1, V1]);
    await expectCode(h.engine.rollback(r.id), 'EF_HUB_ROLLOUT_TRANSITION');
    await expectCode(h.engine.pause('ro-missing'), 'EF_HUB_ROLLOUT_UNKNOWN');
    await expectCode(h.engine.status('ro-missing'), 'EF_HUB_ROLLOUT_UNKNOWN');
    expect(await h.engine.get('ro-missing')).toBeUndefined();
    const states = h.events.filter((e) => e.type === 'rollout-state').map((e) => e.data.to);
    expect(states).toEqual(['running', 'paused', 'running', 'aborted', 'rolled-back']);
  });

  it('refuses to abort or pause a completed rollout, but rolls it back', async () => {
    const h = harness();
    h.fleet.enroll(2);
    const r = await h.engine.create(base);
    await drive(h, r.id);
    expect((await h.engine.get(r.id))?.state).toBe('completed');
    await expectCode(h.engine.abort(r.id), 'EF_HUB_ROLLOUT_TRANSITION');
    await expectCode(h.engine.pause(r.id), 'EF_HUB_ROLLOUT_TRANSITION');
    expect((await h.engine.rollback(r.id)).state).toBe('rolled-back');
    expect(h.fleet.assignments.filter((a) => a.options.allowDowngrade)).toHaveLength(2);
  });

  it('resuming after a failed wave is the operator override: the next wave starts', async () => {
    const h = harness();
    h.fleet.enroll(4);
    const r = await h.engine.create({ ...base, maxFailures: 0 });
    let n = 0;
    await drive(h, r.id, () => (n++ === 0 ? ['failed'] : HAPPY));
    expect((await h.engine.get(r.id))?.state).toBe('paused');
    await h.engine.resume(r.id);
    await drive(h, r.id);
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('completed');
    expect(status.waves.map((w) => w.state)).toEqual(['failed', 'passed']);
    expect(h.fleet.notified()).toHaveLength(4);
  });
});

describe('rollout engine: create', () => {
  it('refuses bad options, unknown releases, empty selections, stray cohort devices and conflicts', async () => {
    const h = harness();
    const ids = h.fleet.enroll(3);
    h.fleet.devices.get(ids[2]!)!.revoked = true;
    await expectCode(h.engine.create({ ...base, waves: '50' }), 'EF_HUB_ROLLOUT_WAVES');
    await expectCode(h.engine.create({ ...base, gates: ['latency<1'] }), 'EF_HUB_ROLLOUT_GATE');
    await expectCode(
      h.engine.create({ ...base, release: 'pm-mlp@9.9.9' }),
      'EF_HUB_ROLLOUT_UNKNOWN_RELEASE',
    );
    await expectCode(h.engine.create({ ...base, selector: 'site=z' }), 'EF_HUB_ROLLOUT_NO_DEVICES');
    await expectCode(
      h.engine.create({ ...base, waves: [[ids[0]!], [ids[2]!]] }),
      'EF_HUB_ROLLOUT_COHORT_DEVICE',
    );
    const first = await h.engine.create({ ...base, waves: [[ids[0]!]] });
    await expectCode(h.engine.create({ ...base, waves: '100' }), 'EF_HUB_ROLLOUT_CONFLICT');
    // Another device, or the same devices once the first rollout is over, are fine.
    const second = await h.engine.create({ ...base, waves: [[ids[1]!]] });
    await h.engine.abort(first.id);
    await h.engine.abort(second.id);
    const third = await h.engine.create({ ...base, waves: '100' });
    expect((await h.engine.status(third.id)).devices.total).toBe(2);
    expect((await h.engine.list()).map((r) => r.id)).toEqual([first.id, second.id, third.id]);
    expect((await h.engine.list(['running'])).map((r) => r.id)).toEqual([third.id]);
  });
});

describe('rollout engine: statuses', () => {
  it('ignores out-of-order, stale and foreign statuses, and walks skipped steps', async () => {
    const h = harness();
    const [a, b] = h.fleet.enroll(2);
    const r = await h.engine.create({ ...base, waves: '100' });
    await h.engine.tick();
    await h.fleet.report(h.engine, [a!], 'installed');
    expect(await h.engine.onDeviceStatus(a!, h.fleet.store(a!, 'verified'))).toBe(0);
    const stale = { ...h.fleet.store(a!, 'failed'), desiredVersion: 0 };
    expect(await h.engine.onDeviceStatus(a!, stale)).toBe(0);
    expect(await h.engine.onDeviceStatus(a!, h.fleet.store(a!, 'healthy', V1))).toBe(0);
    expect(
      await h.engine.onDeviceStatus(a!, { ...h.fleet.store(a!, 'healthy'), model: 'other' }),
    ).toBe(0);
    expect(await h.engine.onDeviceStatus(b!, h.fleet.store(b!, 'healthy'))).toBe(1);
    const status = await h.engine.status(r.id);
    expect(status.devices.counts).toMatchObject({ installed: 1, healthy: 1 });
    const walked = h.events.find((e) => e.deviceId === b && e.data.to === 'healthy');
    expect(walked?.data.via).toEqual(['downloading', 'verified', 'installed', 'healthy']);
  });

  it('refuses malformed statuses with a code', async () => {
    const h = harness();
    await expectCode(h.engine.onDeviceStatus('dev-1', null), 'EF_HUB_ROLLOUT_STATUS');
    await expectCode(
      h.engine.onDeviceStatus('dev-1', { model: 'm', version: '1.0.0', state: 'exploded', ts: 1 }),
      'EF_HUB_ROLLOUT_STATUS',
    );
    await expectCode(
      h.engine.onDeviceStatus('Bad/Id', { model: 'm', version: '1.0.0', state: 'healthy', ts: 1 }),
      'EF_HUB_ROLLOUT_STATUS',
    );
  });

  it('catches up on statuses it was never given', async () => {
    const h = harness({ reconcileIntervalMs: 10_000 });
    const ids = h.fleet.enroll(2);
    const r = await h.engine.create({ ...base, waves: '100' });
    await h.engine.tick();
    for (const id of ids) h.fleet.store(id, 'healthy');
    h.time.advance(10_000);
    await h.engine.tick();
    expect((await h.engine.status(r.id)).devices.counts.healthy).toBe(2);
  });
});

describe('rollout engine: status view and periodic tick', () => {
  it('shows waves, counts, gate values against limits and the soak left', async () => {
    const h = harness();
    const ids = h.fleet.enroll(4);
    h.fleet.setStats(ids, '2.0.0', { errors: 2 });
    const r = await h.engine.create({ ...base, gates: ['error-rate<1%'], soakMs: '5m' });
    await drive(h, r.id, undefined, { maxSteps: 3 });
    const s = await h.engine.status(r.id);
    expect(s.thresholds).toEqual({
      maxFailures: 0.05,
      minSuccess: 0.95,
      minReported: 1,
      soakMs: 300_000,
    });
    expect(s.waves[0]).toMatchObject({ state: 'soaking', size: 2, counts: { healthy: 2 } });
    expect(s.waves[0]?.soakRemainingMs).toBeGreaterThan(0);
    expect(s.waves[0]?.gates[0]).toMatchObject({
      gate: 'error-rate<1%',
      value: 0.002,
      limit: 0.01,
      status: 'pass',
      devices: 2,
    });
    expect(s.waves[1]?.gates[0]?.status).toBe('not-evaluated');
    expect((await h.engine.events(r.id, { afterId: 0, limit: 2 })).map((e) => e.type)).toEqual([
      'rollout-created',
      'rollout-state',
    ]);
  });

  it('ticks on its own after start() and stops on stop()', async () => {
    const h = harness({ tickIntervalMs: 1000 });
    h.fleet.enroll(2);
    await h.engine.start();
    const r = await h.engine.create({ ...base, waves: '100' });
    await expect.poll(() => h.fleet.notified().length, { timeout: 5000 }).toBe(0);
    h.time.advance(0);
    await expect.poll(() => h.fleet.notified().length, { timeout: 5000 }).toBe(2);
    await h.engine.stop();
    expect(h.time.pendingTimers).toBe(0);
    expect((await h.engine.get(r.id))?.state).toBe('running');
  });
});
