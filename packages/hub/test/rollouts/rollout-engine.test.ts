import { afterEach, describe, expect, it } from 'vitest';
import { cleanupDirs, V1, V2 } from './fakes.js';
import { closeHarnesses, drive, harness, HAPPY } from './engine-harness.js';

afterEach(async () => {
  await closeHarnesses();
  cleanupDirs();
});

const base = {
  release: 'pm-mlp@2.0.0',
  selector: 'site=a',
  soakMs: '1m',
  minReported: 1,
  ratePerMinute: 6000,
};

describe('rollout engine: waves', () => {
  it('reaches every selected device once, wave by wave, and completes', async () => {
    const h = harness();
    const site = h.fleet.enroll(20);
    h.fleet.enroll(5, { site: 'b' });
    const r = await h.engine.create({ ...base, waves: '10,50,100' });
    expect(r.id).toMatch(/^ro-[a-z2-7]{10}$/);
    expect(r.state).toBe('running');
    await drive(h, r.id);
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('completed');
    expect(status.waves.map((w) => [w.size, w.state])).toEqual([
      [2, 'passed'],
      [8, 'passed'],
      [10, 'passed'],
    ]);
    const notified = h.fleet.notified();
    expect(notified.map((a) => a.deviceId).sort()).toEqual(site);
    expect(notified.every((a) => a.options.rolloutId === r.id && !a.options.allowDowngrade)).toBe(
      true,
    );
    // Each wave started only after the one before passed its soak.
    for (const w of [1, 2]) {
      const first = Math.min(...notified.filter((a) => a.options.wave === w).map((a) => a.at));
      const passed = status.waves[w - 1]?.finishedAt ?? Infinity;
      expect(first).toBeGreaterThanOrEqual(passed);
      expect(passed - (status.waves[w - 1]?.soakStartedAt ?? 0)).toBeGreaterThanOrEqual(60_000);
    }
    expect(status.devices.counts.healthy).toBe(20);
    expect(h.events.some((e) => e.type === 'rollout-state' && e.data.to === 'completed')).toBe(
      true,
    );
    expect(h.errors).toEqual([]);
  });

  it('rolls explicit cohorts out in order', async () => {
    const h = harness();
    const ids = h.fleet.enroll(6);
    const r = await h.engine.create({ ...base, waves: [[ids[4]!], [ids[0]!, ids[1]!]] });
    await drive(h, r.id);
    expect((await h.engine.get(r.id))?.state).toBe('completed');
    const given = h.fleet.notified().map((a) => [a.deviceId, a.options.wave]);
    expect(given[0]).toEqual([ids[4], 0]);
    expect(given.slice(1).sort()).toEqual([
      [ids[0], 1],
      [ids[1], 1],
    ]);
  });

  it('respects the notification rate limit', async () => {
    const h = harness();
    h.fleet.enroll(30);
    const r = await h.engine.create({
      ...base,
      waves: '100',
      ratePerMinute: '10/min',
      deviceTimeoutMs: '1h',
    });
    for (let s = 0; s < 59; s++) {
      await h.engine.tick();
      h.time.advance(1000);
    }
    expect(h.fleet.notified()).toHaveLength(10);
    await drive(h, r.id, () => null, { maxSteps: 200 });
    const times = h.fleet.notified().map((a) => a.at);
    expect(times).toHaveLength(30);
    for (const t of times) {
      expect(times.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(10);
      expect(times.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(1);
    }
  });

  it('waits for minReported devices before judging', async () => {
    const h = harness();
    const ids = h.fleet.enroll(10);
    const r = await h.engine.create({ ...base, waves: '100', minReported: 5, maxFailures: '10%' });
    await h.engine.tick();
    await h.fleet.report(h.engine, ids.slice(0, 2), 'failed', V2, 'EF_AGENT_SMOKE');
    await h.engine.tick();
    expect((await h.engine.get(r.id))?.state).toBe('running');
    for (const state of HAPPY) await h.fleet.report(h.engine, ids.slice(2, 4), state);
    await h.engine.tick();
    expect((await h.engine.get(r.id))?.state).toBe('running');
    for (const state of HAPPY) await h.fleet.report(h.engine, ids.slice(4, 5), state);
    await h.engine.tick();
    const after = await h.engine.get(r.id);
    expect(after?.state).toBe('paused');
    expect(after?.reason?.code).toBe('wave-failed');
  });
});

describe('rollout engine: failures', () => {
  it('pauses a wave over the failure threshold and never starts the next', async () => {
    const h = harness();
    h.fleet.enroll(10);
    const r = await h.engine.create({
      ...base,
      waves: '50,100',
      maxFailures: '10%',
      minReported: 3,
    });
    let n = 0;
    await drive(h, r.id, () => (n++ === 0 ? ['downloading', 'failed'] : HAPPY), { maxSteps: 50 });
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('paused');
    expect(status.rollout.reason?.code).toBe('wave-failed');
    expect(status.waves[0]?.state).toBe('failed');
    expect(status.waves[0]?.reason?.code).toBe('max-failures');
    expect(status.waves[1]?.state).toBe('scheduled');
    expect(h.fleet.notified()).toHaveLength(5);
    expect(h.fleet.assignments.some((a) => a.options.allowDowngrade)).toBe(false);
  });

  it('with onFailure rollback, sends every touched device back to its previous release', async () => {
    const h = harness();
    const ids = h.fleet.enroll(9);
    const fresh = h.fleet.enroll(1, { site: 'a' }, null);
    const r = await h.engine.create({
      ...base,
      waves: '50,100',
      maxFailures: '10%',
      onFailure: 'rollback',
      minReported: 5,
    });
    let n = 0;
    await drive(h, r.id, () => (n++ < 2 ? ['downloading', 'failed'] : HAPPY), { maxSteps: 50 });
    const rollout = await h.engine.get(r.id);
    expect(rollout?.state).toBe('rolled-back');
    const touched = h.fleet.notified().map((a) => a.deviceId);
    expect(touched).toHaveLength(5);
    const back = h.fleet.assignments.filter((a) => a.options.allowDowngrade);
    expect(back.map((a) => a.deviceId).sort()).toEqual([...touched].sort());
    for (const a of back) {
      expect(a.options.rolloutId).toBe(r.id);
      expect(a.release).toEqual(fresh.includes(a.deviceId) ? null : V1);
    }
    // Devices report the previous release healthy: their deployment of v2 is rolled back.
    const withPrevious = touched.filter((id) => !fresh.includes(id));
    for (const state of HAPPY) await h.fleet.report(h.engine, withPrevious, state, V1);
    const status = await h.engine.status(r.id);
    expect(status.devices.counts['rolled-back']).toBe(5);
    expect(status.rollback).toEqual({ requested: 5, assigned: 5, done: 5, failed: 0 });
    expect(
      ids
        .filter((id) => !touched.includes(id))
        .every((id) => h.fleet.devices.get(id)?.current.get('pm-mlp') === '1.0.0'),
    ).toBe(true);
  });

  it('does not advance a wave that ends below minSuccess', async () => {
    const h = harness();
    h.fleet.enroll(10);
    const r = await h.engine.create({
      ...base,
      waves: '50,100',
      maxFailures: '50%',
      minSuccess: '95%',
      minReported: 1,
    });
    let n = 0;
    let last: string | undefined;
    await drive(
      h,
      r.id,
      (id) => {
        if (n++ === 0) return ['downloading', 'failed'];
        if (n === 5) {
          last = id;
          return ['downloading'];
        }
        return HAPPY;
      },
      { maxSteps: 200 },
    );
    // 4 of 5 healthy, one still downloading: the rollout keeps waiting on wave 1.
    expect((await h.engine.get(r.id))?.state).toBe('running');
    expect(h.fleet.notified()).toHaveLength(5);
    await h.fleet.report(h.engine, [last!], 'failed', V2, 'EF_AGENT_VERIFY');
    await h.engine.tick();
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('paused');
    expect(status.rollout.reason?.code).toBe('below-min-success');
    expect(status.waves.map((w) => w.state)).toEqual(['running', 'scheduled']);
    // Resuming judges the same wave again: it pauses again without notifying anyone new.
    await h.engine.resume(r.id);
    await h.engine.tick();
    expect((await h.engine.get(r.id))?.state).toBe('paused');
    expect(h.fleet.notified()).toHaveLength(5);
  });

  it('times out devices that stay silent and counts them as failures', async () => {
    const h = harness();
    const ids = h.fleet.enroll(4);
    const r = await h.engine.create({
      ...base,
      waves: '100',
      deviceTimeoutMs: '5m',
      maxFailures: '30%',
    });
    await drive(h, r.id, (id) => (id === ids[0] ? ['downloading'] : id === ids[1] ? [] : HAPPY), {
      stepMs: 30_000,
      maxSteps: 100,
    });
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('paused');
    expect(status.waves[0]?.counts['timed-out']).toBe(2);
    const timedOut = h.events.filter((e) => e.type === 'device-state' && e.data.to === 'timed-out');
    expect(timedOut.map((e) => e.deviceId).sort()).toEqual([ids[0], ids[1]].sort());
    for (const e of timedOut)
      expect(e.ts - (status.rollout.startedAt ?? 0)).toBeGreaterThanOrEqual(5 * 60_000);
    // A late report still settles a timed-out device [P-ST-2].
    await h.fleet.report(h.engine, [ids[1]!], 'healthy');
    expect((await h.engine.status(r.id)).waves[0]?.counts.healthy).toBe(3);
  });

  it('marks a device failed when its desired state cannot be published', async () => {
    const h = harness();
    const ids = h.fleet.enroll(3);
    h.fleet.failAssign.add(ids[0]!);
    const r = await h.engine.create({
      ...base,
      waves: '100',
      maxFailures: '50%',
      minSuccess: '60%',
    });
    await drive(h, r.id);
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('completed');
    expect(status.devices.counts.failed).toBe(1);
    expect(
      h.events.some(
        (e) => e.type === 'assign-failed' && e.data.code === 'EF_HUB_STORE_UNKNOWN_DEVICE',
      ),
    ).toBe(true);
  });
});

describe('rollout engine: gates', () => {
  const gated = { ...base, waves: '50,100', minReported: 2, soakMs: '2m' };

  it.each([
    ['error-rate<1%', { errors: 50 }, 0.05],
    ['p95-latency<1.2x', { p95LatencyMs: 20 }, 2],
    ['drift<0.25', { drift: { total: 10, drifted: 5, maxScore: 0.6 } }, 0.5],
    ['drift-score<0.5', { drift: { total: 10, drifted: 1, maxScore: 0.75 } }, 0.75],
  ])('stops the rollout when %s is breached', async (gate, bad, value) => {
    const h = harness();
    const ids = h.fleet.enroll(8);
    h.fleet.setStats(ids, '1.0.0', { p95LatencyMs: 10 });
    h.fleet.setStats(ids, '2.0.0', bad);
    const r = await h.engine.create({ ...gated, gates: [gate] });
    await drive(h, r.id, undefined, { maxSteps: 100 });
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('paused');
    expect(status.waves[0]?.state).toBe('failed');
    expect(status.waves[0]?.reason?.code).toBe('gate');
    expect(status.waves[0]?.gates).toEqual([
      expect.objectContaining({ gate, value, status: 'fail' }),
    ]);
    expect(h.fleet.notified()).toHaveLength(4);
  });

  it('passes with every gate green, comparing latency with the previous release before notification', async () => {
    const h = harness({ baselineWindowMs: 600_000 });
    const ids = h.fleet.enroll(8);
    h.fleet.setStats(ids, '1.0.0', { p95LatencyMs: 10 });
    h.fleet.setStats(ids, '2.0.0', { p95LatencyMs: 11, errors: 1 });
    const gates = ['error-rate<1%', 'p95-latency<1.2x', 'drift<0.25', 'drift-score<0.5'];
    const r = await h.engine.create({ ...gated, gates });
    await drive(h, r.id, undefined, { maxSteps: 500 });
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('completed');
    expect(status.waves[1]?.gates.map((g) => [g.gate, g.status])).toEqual(
      gates.map((g) => [g, 'pass']),
    );
    const ratio = status.waves[0]?.gates.find((g) => g.gate === 'p95-latency<1.2x');
    expect(ratio?.value).toBeCloseTo(1.1);
    const notifiedAt = new Map(h.fleet.notified().map((a) => [a.deviceId, a.at]));
    const previous = h.fleet.windowQueries.filter((q) => q.version === '1.0.0');
    expect(previous.length).toBeGreaterThan(0);
    for (const q of previous) {
      expect(q.to).toBe(notifiedAt.get(q.deviceId));
      expect(q.to - q.from).toBe(600_000);
    }
  });

  it('treats a gate without numbers as no-data, shown in status, not blocking', async () => {
    const h = harness();
    h.fleet.enroll(4);
    const r = await h.engine.create({ ...gated, gates: ['error-rate<1%'] });
    await drive(h, r.id, undefined, { maxSteps: 500 });
    const status = await h.engine.status(r.id);
    expect(status.rollout.state).toBe('completed');
    expect(status.waves[0]?.gates[0]?.status).toBe('no-data');
  });
});
