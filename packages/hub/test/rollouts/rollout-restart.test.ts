import { afterEach, describe, expect, it } from 'vitest';
import { SqliteRolloutStore } from '../../src/rollouts/index.js';
import { cleanupDirs } from './fakes.js';
import { closeHarnesses, drive, harness } from './engine-harness.js';

afterEach(async () => {
  await closeHarnesses();
  cleanupDirs();
});

const options = {
  release: 'pm-mlp@2.0.0',
  selector: 'site=a',
  waves: '25,50,100',
  soakMs: '1m',
  minReported: 1,
  ratePerMinute: '2/s',
};

function countBy(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe('rollout engine restart', () => {
  it('a new engine on the same database resumes where the old one was, without notifying twice', async () => {
    const h = harness();
    const ids = h.fleet.enroll(20);
    const r = await h.engine.create(options);
    const answered = new Set<string>();
    // Halfway: wave 2 running, part of it notified (the rate limit spreads it).
    await drive(h, r.id, undefined, {
      answered,
      until: async () => {
        const s = await h.engine.status(r.id);
        return s.waves[1]?.state === 'running' && s.waves[1].counts.pending === 3;
      },
    });
    const before = await h.engine.status(r.id);
    expect(before.waves.map((w) => w.state)).toEqual(['passed', 'running', 'scheduled']);
    const sentBefore = h.fleet.notified().length;
    expect(sentBefore).toBe(7);

    // The old engine is dropped as it is (no stop, no close); a new one opens the same file.
    h.reopen();
    const after = await h.engine.status(r.id);
    expect(after.waves).toEqual(before.waves);
    expect(after.devices).toEqual(before.devices);
    // The rate limit counts from persisted times: this second's budget is spent already.
    await h.engine.tick();
    expect(h.fleet.notified().length).toBe(sentBefore);
    h.time.advance(1000);
    await h.engine.tick();
    expect(h.fleet.notified().length).toBe(sentBefore + 2);

    await drive(h, r.id, undefined, { answered });
    expect((await h.engine.get(r.id))?.state).toBe('completed');
    const counts = countBy(h.fleet.notified().map((a) => a.deviceId));
    expect([...counts.keys()].sort()).toEqual(ids);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('publishes after a restart what was decided but not published before the crash', async () => {
    const h = harness();
    h.fleet.enroll(8);
    const r = await h.engine.create({ ...options, waves: '100', ratePerMinute: 6000 });
    // Find the device the engine will publish to first, and make that publish never return.
    const store = SqliteRolloutStore.open(h.path);
    const [first] = await store.listEntries(r.id);
    h.fleet.hang.add(first!.deviceId);
    void h.engine.tick();
    await expect
      .poll(async () => (await store.listEntries(r.id, { states: ['notified'] })).length, {
        timeout: 5000,
      })
      .toBe(8);
    expect(h.fleet.notified()).toHaveLength(0);
    await store.close();

    // The hub "dies" mid-publish; the next engine publishes every owed desired state once.
    h.fleet.hang.clear();
    h.reopen();
    await h.engine.tick();
    const counts = countBy(h.fleet.notified().map((a) => a.deviceId));
    expect(counts.size).toBe(8);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    await drive(h, r.id);
    expect((await h.engine.get(r.id))?.state).toBe('completed');
    expect(h.fleet.notified()).toHaveLength(8);
  });

  it('resumes a rollback that was interrupted', async () => {
    const h = harness();
    h.fleet.enroll(4);
    const r = await h.engine.create({ ...options, waves: '100', ratePerMinute: 6000 });
    await drive(h, r.id, undefined, { maxSteps: 2 });
    const touched = h.fleet.notified().map((a) => a.deviceId);
    h.fleet.hang.add(touched[1]!);
    void h.engine.rollback(r.id);
    await expect
      .poll(() => h.fleet.assignments.filter((a) => a.options.allowDowngrade).length)
      .toBe(1);
    h.fleet.hang.clear();
    h.reopen();
    await h.engine.tick();
    const back = countBy(
      h.fleet.assignments.filter((a) => a.options.allowDowngrade).map((a) => a.deviceId),
    );
    expect([...back.keys()].sort()).toEqual([...touched].sort());
    expect([...back.values()].every((n) => n === 1)).toBe(true);
    expect((await h.engine.status(r.id)).rollback?.assigned).toBe(4);
  });
});
