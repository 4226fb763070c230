import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { RolloutEngine } from '../../src/rollouts/index.js';
import { cleanupDirs, tempDbPath } from './fakes.js';
import { DEVICE_IDS, readLog, simPorts } from './fixtures/sim-fleet.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/rollout-until-killed.ts', import.meta.url));
const KILL_AFTER = 10;

describe('rollout engine under SIGKILL', () => {
  let child: ChildProcess | undefined;
  let engine: RolloutEngine | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await engine?.close();
    cleanupDirs();
  });

  it('a hub killed mid-rollout resumes it: every device gets the release, at most one twice', async () => {
    const db = tempDbPath();
    const log = join(db, '..', 'published.log');
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', FIXTURE, db, log],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let rolloutId = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      rolloutId ||= /created (ro-\S+)/.exec(chunk.toString())?.[1] ?? '';
    });
    const closed = new Promise<NodeJS.Signals | null>((resolve) =>
      proc.once('close', (_c, sig) => resolve(sig)),
    );
    await expect
      .poll(() => readLog(log).length, { timeout: 20_000, interval: 5 })
      .toBeGreaterThanOrEqual(KILL_AFTER);
    proc.kill('SIGKILL');
    expect(await closed, stderr).toBe('SIGKILL');
    const sentByChild = readLog(log).length;
    expect(sentByChild).toBeLessThan(DEVICE_IDS.length);
    expect(rolloutId).toMatch(/^ro-/);

    const check = new Database(db, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();

    const current: RolloutEngine = RolloutEngine.open(db, {
      ports: simPorts(log, () => current),
      tickIntervalMs: 10,
    });
    engine = current;
    await current.start();
    await expect
      .poll(async () => (await current.get(rolloutId))?.state, { timeout: 20_000 })
      .toBe('completed');

    const published = readLog(log).map((l) => l.deviceId);
    expect(new Set(published)).toEqual(new Set(DEVICE_IDS));
    // Only a publish in flight at the kill (done, not yet confirmed) can be sent again.
    expect(published.length - DEVICE_IDS.length).toBeLessThanOrEqual(1);
    const status = await current.status(rolloutId);
    expect(status.waves.map((w) => w.state)).toEqual(['passed', 'passed', 'passed']);
    expect(status.devices.counts.healthy).toBe(DEVICE_IDS.length);
  });
});
