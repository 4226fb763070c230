/**
 * The one stored `$7$` hash works in both directions with a real Mosquitto 2.0: Mosquitto
 * accepts the secret behind a hash the hub made, and the hub verifies a hash mosquitto_passwd
 * made.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import type { RunningMosquitto } from '../../../../test/helpers/mosquitto.js';
import {
  generateDeviceSecret,
  hashDeviceSecret,
  isDeviceSecretHash,
  verifyDeviceSecret,
} from '../../src/broker/device-secrets.js';
import { ClientPool } from '../broker/helpers.js';

const run = promisify(execFile);

describe('device secret hashes and a real Mosquitto', () => {
  let dir: string;
  let broker: RunningMosquitto | undefined;
  const pool = new ClientPool();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-mosquitto-compat-'));
  });

  afterEach(async () => {
    await pool.closeAll();
    await broker?.stop();
    broker = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('Mosquitto accepts the secret behind a hashDeviceSecret hash and refuses a wrong one', async () => {
    const secret = generateDeviceSecret();
    const hubSecret = generateDeviceSecret();
    broker = await startMosquitto({
      dir,
      devices: [{ id: 'press-07', secretHash: await hashDeviceSecret(secret), revoked: false }],
      hub: { username: '_hub', secretHash: await hashDeviceSecret(hubSecret) },
    });
    const client = await pool.connect(broker.url, 'press-07', secret, { connectTimeout: 3000 });
    expect(client.connected).toBe(true);
    expect((await pool.connect(broker.url, '_hub', hubSecret)).connected).toBe(true);
    await expect(
      pool.connect(broker.url, 'press-07', generateDeviceSecret(), { connectTimeout: 3000 }),
    ).rejects.toMatchObject({ code: 5 });
    await expect(pool.connect(broker.url, 'press-07', hubSecret)).rejects.toMatchObject({
      code: 5,
    });
    // Mosquitto logs an entry it cannot decode and drops it; none of ours may be dropped.
    expect(broker.log()).not.toMatch(/Unable to decode|Invalid password hash|removing entry/);
  });

  it('verifyDeviceSecret accepts a hash written by mosquitto_passwd', async () => {
    const file = join(dir, 'passwd');
    const secret = generateDeviceSecret();
    await run('mosquitto_passwd', ['-c', '-b', file, 'press-07', secret]);
    const line = (await readFile(file, 'utf8')).trim();
    const hash = line.slice('press-07:'.length);
    expect(hash.startsWith('$7$')).toBe(true);
    expect(isDeviceSecretHash(hash)).toBe(true);
    expect(await verifyDeviceSecret(secret, hash)).toBe(true);
    expect(await verifyDeviceSecret(generateDeviceSecret(), hash)).toBe(false);
  });
});
