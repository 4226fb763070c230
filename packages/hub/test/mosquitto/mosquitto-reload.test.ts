import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import type { RunningMosquitto } from '../../../../test/helpers/mosquitto.js';
import { generateDeviceSecret, hashDeviceSecret } from '../../src/broker/device-secrets.js';
import { reloadMosquitto } from '../../src/mosquitto/mosquitto-reload.js';

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

describe('reloadMosquitto', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  let broker: RunningMosquitto | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-mosquitto-reload-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await broker?.stop();
    broker = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const rejectsWith = (target: string | number, code: string) =>
    expect(reloadMosquitto(target)).rejects.toSatisfy((e: unknown) => isEdgefleetError(e, code));

  it('sends SIGHUP to a running Mosquitto by pid and by pid file', async () => {
    const hash = await hashDeviceSecret(generateDeviceSecret());
    broker = await startMosquitto({
      dir,
      devices: [],
      hub: { username: '_hub', secretHash: hash },
    });
    const pidFile = join(dir, 'mosquitto.pid');
    await writeFile(pidFile, `${broker.pid}\n`);
    const count = () => broker?.log().split('Reloading config.').length ?? 0;
    const reloaded = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (count() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return count();
    };
    // One at a time: SIGHUPs that arrive together are handled as one reload.
    const before = count();
    expect(await reloadMosquitto(broker.pid)).toBe(broker.pid);
    expect(await reloaded(before + 1)).toBe(before + 1);
    expect(await reloadMosquitto(pidFile)).toBe(broker.pid);
    expect(await reloaded(before + 2)).toBe(before + 2);
  });

  it('refuses missing, empty and garbage pid files with EF_HUB_MOSQUITTO_PID', async () => {
    await rejectsWith(join(dir, 'absent.pid'), 'EF_HUB_MOSQUITTO_PID');
    for (const [name, text] of [
      ['empty.pid', ''],
      ['words.pid', 'mosquitto\n'],
      ['negative.pid', '-1\n'],
      ['two.pid', '12 13\n'],
    ] as const) {
      await writeFile(join(dir, name), text);
      await rejectsWith(join(dir, name), 'EF_HUB_MOSQUITTO_PID');
    }
  });

  it('never signals process groups: pids below 2 are EF_HUB_MOSQUITTO_PID', async () => {
    for (const pid of [0, 1, -1, 2.5, Number.NaN]) await rejectsWith(pid, 'EF_HUB_MOSQUITTO_PID');
    await writeFile(join(dir, 'zero.pid'), '0\n');
    await rejectsWith(join(dir, 'zero.pid'), 'EF_HUB_MOSQUITTO_PID');
  });

  it('reports a pid with no process as EF_HUB_MOSQUITTO_NOT_RUNNING', async () => {
    const child = spawn('true');
    await exited(child);
    await rejectsWith(child.pid ?? 0, 'EF_HUB_MOSQUITTO_NOT_RUNNING');
  });

  it.runIf(process.platform === 'linux')(
    'does not signal a process that is not mosquitto (stale pid file)',
    async () => {
      const sleeper = spawn('sleep', ['30']);
      children.push(sleeper);
      await rejectsWith(sleeper.pid ?? 0, 'EF_HUB_MOSQUITTO_NOT_RUNNING');
      expect(sleeper.exitCode).toBeNull();
      expect(sleeper.signalCode).toBeNull();
    },
  );
});
