import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBundle, OPERATOR_TOKEN, startHarness } from './hub-cli-harness.js';
import type { CliRun, Harness } from './hub-cli-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.hub.api.publishRelease(fakeBundle('pm', '1.0.0'));
  for (let i = 0; i < 4; i++) await h.hub.api.enrollDevice(`press-${i}`, { site: 'a' });
});
afterEach(async () => {
  await h.close();
});

const CREATE = ['rollout', 'create', 'pm@1.0.0', '--select', 'site=a', '--waves', '50,100'];
const ID = 'ro-test000001';

async function waitFor(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Moves the fake hub's engine until the rollout is final, every notified device healthy. */
async function driveToEnd(state = 'completed', outcome: 'healthy' | 'failed' = 'healthy') {
  const reported = new Set<string>();
  for (let i = 0; i < 200; i++) {
    await h.hub.api.advanceRollouts();
    for (const d of h.hub.api.deployments) {
      if (reported.has(d.deviceId) || d.version !== '1.0.0') continue;
      reported.add(d.deviceId);
      await h.hub.api.reportStatus(
        d.deviceId,
        'pm@1.0.0',
        outcome,
        outcome === 'failed' ? 'EF_AGENT_SMOKE_TEST' : undefined,
      );
    }
    const rollout = await h.hub.api.rollouts.get(ID);
    if (rollout?.state === state) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the rollout never reached ${state}`);
}

describe('rollout create', () => {
  it('starts a rollout with every flag passed to the hub, and says how to follow it', async () => {
    const r = await h.cli([
      ...CREATE,
      '--soak',
      '10m',
      '--max-failures',
      '10%',
      '--min-success',
      '90%',
      '--min-reported',
      '2',
      '--gate',
      'error-rate<1%',
      '--gate',
      'p95-latency<1.2x',
      '--rate',
      '100/min',
      '--on-failure',
      'rollback',
      '--device-timeout',
      '20m',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        `started rollout ${ID}: pm@1.0.0 to 4 devices in 2 wave(s) of 2, 2`,
        '  soak 10m per wave, max-failures 10%, min-success 90%, on failure rollback',
        '  gates error-rate<1%, p95-latency<1.2x',
        `follow it with: edgefleet rollout status ${ID} --watch`,
        '',
      ].join('\n'),
    );
    const [rollout] = await h.hub.api.listRollouts();
    expect(rollout?.options).toMatchObject({
      minReported: 2,
      ratePerMinute: 100,
      deviceTimeoutMs: 1_200_000,
      gates: ['error-rate<1%', 'p95-latency<1.2x'],
    });
  });

  it('--json prints the status; repeated --select values are joined', async () => {
    await h.hub.api.enrollDevice('press-x', { site: 'a', hw: 'rpi5' });
    const doc = await h.json<{ status: { rollout: { options: { selector: unknown } } } }>(
      'rollout',
      'create',
      'pm@1.0.0',
      '--select',
      'site=a',
      '--select',
      'hw=rpi5',
      '--waves',
      '100',
      '--soak',
      '0s',
    );
    expect(doc.status.rollout.options.selector).toEqual({ site: 'a', hw: 'rpi5' });
  });

  it('usage errors exit 2; what the hub refuses exits 1 with its code', async () => {
    const noSelect = await h.cli([
      'rollout',
      'create',
      'pm@1.0.0',
      '--waves',
      '100',
      '--soak',
      '1m',
    ]);
    expect(noSelect.code).toBe(2);
    expect(noSelect.err).toContain('--select is required');
    const onFailure = await h.cli([...CREATE, '--soak', '1m', '--on-failure', 'retry']);
    expect(onFailure.code).toBe(2);
    expect((await h.cli([...CREATE])).err).toContain('--soak is required');
    const waves = await h.cli([
      'rollout',
      'create',
      'pm@1.0.0',
      '--select',
      'site=a',
      '--waves',
      '10,50',
      '--soak',
      '1m',
    ]);
    expect(waves.code).toBe(1);
    expect(waves.err).toMatch(/^error EF_HUB_ROLLOUT_WAVES: the hub refused: /);
    const release = await h.cli([
      'rollout',
      'create',
      'pm@2.0.0',
      '--select',
      'site=a',
      '--waves',
      '100',
      '--soak',
      '1m',
    ]);
    expect(release.err).toMatch(/^error EF_HUB_ROLLOUT_UNKNOWN_RELEASE/);
  });
});

describe('rollout status, list and the actions', () => {
  it('status shows waves, device counts by state, the judgement and gates', async () => {
    await h.cli([...CREATE, '--soak', '10m', '--gate', 'error-rate<1%']);
    await h.hub.api.advanceRollouts();
    const [first] = h.hub.api.deployments;
    await h.hub.api.reportStatus(first?.deviceId ?? '', 'pm@1.0.0', 'healthy');
    const r = await h.cli(['rollout', 'status', ID]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`rollout ${ID}  pm@1.0.0  running  (wave 1 of 2)`);
    expect(r.out).toContain('site=a: 4 devices, 2 notified');
    expect(r.out).toMatch(
      /WAVE\s+STATE\s+DEVICES\s+PENDING\s+UPDATING\s+INSTALLED\s+HEALTHY\s+FAILED/,
    );
    expect(r.out).toMatch(/1 \(50%\)\s+running\s+2\s+0\s+1\s+0\s+1\s+0/);
    expect(r.out).toMatch(/2 \(100%\)\s+scheduled\s+2\s+2/);
    expect(r.out).toContain('wave 1: 1 of 2 reported (judged from 2), success 50% (needs 95%)');
    expect(r.out).toMatch(/error-rate<1%\s+-\s+1%\s+not evaluated/);

    const doc = await h.json<{ status: { waves: { counts: { healthy: number } }[] } }>(
      'rollout',
      'status',
      ID,
    );
    expect(doc.status.waves[0]?.counts.healthy).toBe(1);
    const unknown = await h.cli(['rollout', 'status', 'ro-nothere000']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^error EF_HUB_ROLLOUT_UNKNOWN:/);
  });

  it('list shows each rollout', async () => {
    expect((await h.cli(['rollout', 'list'])).out).toBe('no rollouts\n');
    await h.cli([...CREATE, '--soak', '10m']);
    const r = await h.cli(['rollout', 'list']);
    expect(r.out).toMatch(
      new RegExp(
        `^ID\\s+RELEASE\\s+STATE.*\\n${ID}\\s+pm@1\\.0\\.0\\s+running\\s+1\\s+site=a\\s+50%,100%`,
      ),
    );
    const doc = await h.json<{ rollouts: { id: string }[] }>('rollout', 'list');
    expect(doc.rollouts.map((x) => x.id)).toEqual([ID]);
  });

  it('pause, resume, abort and rollback; a move the state forbids is refused', async () => {
    await h.cli([...CREATE, '--soak', '10m']);
    const paused = await h.cli(['rollout', 'pause', ID]);
    expect(paused.code).toBe(0);
    expect(paused.out.split('\n')[0]).toBe(`paused rollout ${ID} (pm@1.0.0): now paused`);
    const again = await h.cli(['rollout', 'pause', ID]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error EF_HUB_ROLLOUT_TRANSITION:/);
    expect((await h.cli(['rollout', 'resume', ID])).out).toContain('now running');
    await h.hub.api.advanceRollouts();
    expect((await h.cli(['rollout', 'abort', ID])).out).toContain('now aborted');
    const back = await h.cli(['rollout', 'rollback', ID]);
    expect(back.out).toContain('now rolled-back');
    expect(back.out).toContain('rollback: 2 devices, 2 desired states published');
    expect(h.hub.api.calls).toEqual(
      expect.arrayContaining(['pauseRollout', 'resumeRollout', 'abortRollout', 'rollbackRollout']),
    );
  });
});

describe('rollout status --watch', () => {
  /** Starts `rollout status --watch` and waits until it has read the rollout once. */
  async function watch(args: string[], isTTY = false): Promise<{ done: Promise<CliRun> }> {
    const env = { EDGEFLEET_HUB: h.hub.url, EDGEFLEET_TOKEN: OPERATOR_TOKEN };
    const done = h.cli(
      ['rollout', 'status', ID, '--watch', '--interval', '100ms', ...args],
      env,
      isTTY,
    );
    await waitFor(() => h.hub.api.calls.includes('rolloutEvents'), 'the watch to start');
    // Wrapped: an async function returning the promise itself would wait for the watch's end.
    return { done };
  }

  it('without a terminal: the status once, then decisions and progress as lines; exits 0 on completion', async () => {
    await h.cli([...CREATE, '--soak', '0s']);
    const w = await watch([]);
    await driveToEnd();
    const r = await w.done;
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('\x1b[');
    expect(r.out.split('\n')[0]).toBe(`rollout ${ID}  pm@1.0.0  running  (wave 1 of 2)`);
    expect(r.out).toMatch(/\d\d:\d\d:\d\d {2}wave 1 running -> soaking/);
    expect(r.out).toMatch(/\d\d:\d\d:\d\d {2}wave 2 (running|soaking|passed): 2 devices/);
    expect(r.out).toMatch(/rollout running -> completed/);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe(`rollout ${ID} completed`);
  });

  it('in a terminal the view is redrawn in place with the latest events', async () => {
    await h.cli([...CREATE, '--soak', '0s']);
    const w = await watch([], true);
    await driveToEnd();
    const r = await w.done;
    expect(r.code).toBe(0);
    expect(r.out).toContain('\x1b[H');
    expect(r.out).toContain('recent events:');
    expect(r.out).toMatch(/ {2}\d\d:\d\d:\d\d {2}wave \d press-\d healthy/);
    expect(r.out).toContain('Ctrl-C stops watching');
  });

  it('--json: one JSON document per line, the final status last; a rollback exits 3', async () => {
    await h.cli([...CREATE, '--soak', '0s', '--max-failures', '0%', '--on-failure', 'rollback']);
    const w = await watch(['--json']);
    await driveToEnd('rolled-back', 'failed');
    const r = await w.done;
    expect(r.code).toBe(3);
    const docs = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs[0]).toMatchObject({ event: { type: 'rollout-created' } });
    expect(docs.at(-1)).toMatchObject({ ok: true, status: { rollout: { state: 'rolled-back' } } });
  });

  it('Ctrl-C stops watching (exit 130) and leaves the rollout running', async () => {
    await h.cli([...CREATE, '--soak', '10m']);
    const before = process.listenerCount('SIGINT');
    const w = await watch([]);
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT');
    const r = await w.done;
    expect(r.code).toBe(130);
    expect(r.err).toContain(`stopped watching ${ID}; the rollout goes on on the hub`);
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect((await h.hub.api.rollouts.get(ID))?.state).toBe('running');
  });

  it('a bad --interval is a usage error', async () => {
    const r = await h.cli(['rollout', 'status', ID, '--watch', '--interval', '1ms']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--interval');
  });
});

describe('rollout help', () => {
  it('teaches with examples', async () => {
    const group = await h.cli(['rollout', '--help']);
    for (const cmd of ['create', 'status', 'list', 'pause', 'resume', 'abort', 'rollback']) {
      expect(group.out).toContain(`rollout ${cmd}`);
    }
    const create = await h.cli(['rollout', 'create', '--help']);
    expect(create.out).toContain('--gate <expr>');
    expect(create.out).toContain(
      'edgefleet rollout create pm@1.1.0 --select site=plant-a --waves 1,10,50,100 --soak 10m',
    );
    expect((await h.cli(['rollout', 'status', '--help'])).out).toContain('--watch');
  });
});
