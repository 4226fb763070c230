import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import type { RunningMosquitto } from '../../../../test/helpers/mosquitto.js';
import { generateDeviceSecret, hashDeviceSecret } from '../../src/broker/device-secrets.js';
import { writeMosquittoConfig } from '../../src/mosquitto/mosquitto-config.js';
import { mosquittoDevicesFromStore } from '../../src/mosquitto/mosquitto-store.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';
import { ClientPool } from '../broker/helpers.js';

describe('mosquittoDevicesFromStore', () => {
  let dir: string;
  let store: SqliteHubStore;
  let broker: RunningMosquitto | undefined;
  const pool = new ClientPool();
  const secrets = new Map<string, string>();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-mosquitto-store-'));
    store = SqliteHubStore.open(join(dir, 'hub.db'));
    for (const id of ['press-07', 'press-08']) {
      const secret = generateDeviceSecret();
      secrets.set(id, secret);
      const secretHash = await hashDeviceSecret(secret);
      await store.enrollDevice({ id, tags: {}, secretHash, createdAt: Date.now() });
    }
    await store.revokeDevice('press-08', Date.now());
  });

  afterEach(async () => {
    await pool.closeAll();
    await broker?.stop();
    broker = undefined;
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every device with its stored hash and revocation', async () => {
    const devices = await mosquittoDevicesFromStore(store);
    const stored = await store.listDevices();
    expect(devices).toEqual(
      stored.map((d) => ({ id: d.id, secretHash: d.secretHash, revoked: d.id === 'press-08' })),
    );
    const hub = { username: '_hub', secretHash: await hashDeviceSecret(generateDeviceSecret()) };
    const outDir = join(dir, 'conf');
    await writeMosquittoConfig({ outDir, devices, hub });
    const passwords = await readFile(join(outDir, 'password_file'), 'utf8');
    expect(passwords).toMatch(/^press-07:\$7\$/m);
    expect(passwords).not.toMatch(/press-08/);
  });

  it('gives a Mosquitto that admits enrolled devices and refuses revoked ones', async () => {
    const hub = { username: '_hub', secretHash: await hashDeviceSecret(generateDeviceSecret()) };
    broker = await startMosquitto({ dir, devices: await mosquittoDevicesFromStore(store), hub });
    const ok = await pool.connect(broker.url, 'press-07', secrets.get('press-07') ?? '');
    expect(ok.connected).toBe(true);
    await expect(
      pool.connect(broker.url, 'press-08', secrets.get('press-08') ?? ''),
    ).rejects.toMatchObject({ code: 5 });
  });
});
