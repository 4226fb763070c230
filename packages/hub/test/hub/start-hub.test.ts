import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { resolveHubOptions } from '../../src/hub/hub-options.js';
import { startHub } from '../../src/hub/start-hub.js';
import { expectCode } from '../storage/store-contract.js';
import { HubKit } from './hub-test-kit.js';

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('startHub', () => {
  const kit = new HubKit();
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    await kit.cleanup();
  });

  it('creates the operator token and keys on first start only, and closes idempotently', async () => {
    const dataDir = kit.tempDir();
    const first = await kit.start({ dataDir });
    expect(first.operatorToken).toMatch(/^eft_/);
    expect(first.operatorTokenPath).toBe(join(dataDir, 'operator.token'));
    expect(readFileSync(first.operatorTokenPath, 'utf8').trim()).toBe(first.operatorToken);
    expect(statSync(first.operatorTokenPath).mode & 0o777).toBe(0o600);
    expect(first.keysDir).toBe(join(dataDir, 'keys'));
    expect(existsSync(join(dataDir, 'hub.db'))).toBe(true);
    expect(first.brokerUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const { provisioning } = await first.api.enrollDevice('d1', {});
    await first.close();
    await first.close();
    await expectCode(first.api.listDevices(), 'EF_HUB_CLOSED');

    const second = await kit.start({ dataDir });
    expect(second.operatorToken).toBeUndefined();
    expect(second.keysDir).toBeUndefined();
    expect((await second.api.getDevice('d1'))?.id).toBe('d1');
    // The device's credentials and trust anchor survive the restart.
    const client = await kit.connect(second, 'd1', provisioning.password);
    expect(client.connected).toBe(true);
    const again = await second.api.enrollDevice('d2', {});
    expect(again.provisioning.rootPublicKeys).toEqual(provisioning.rootPublicKeys);
  });

  it('refuses a port in use with EF_HUB_PORT_IN_USE suggesting --broker, and leaves nothing open', async () => {
    const { server, port } = await occupy();
    servers.push(server);
    const dataDir = kit.tempDir();
    const err = await expectCode(
      startHub({ dataDir, host: '127.0.0.1', mqttPort: port, http: false, logLevel: false }),
      'EF_HUB_PORT_IN_USE',
    );
    expect(err.message).toContain('--broker');
    const httpErr = await expectCode(
      startHub({ dataDir, host: '127.0.0.1', mqttPort: 0, httpPort: port, logLevel: false }),
      'EF_HUB_PORT_IN_USE',
    );
    expect(httpErr.message).toContain('--http-port');
    // Everything the failed starts opened was closed: the same data dir starts fine.
    const hub = await kit.start({ dataDir });
    expect(await hub.api.listDevices()).toEqual([]);
  });

  it('validates options once with EF_HUB_OPTIONS', async () => {
    const bad = [
      { dataDir: '' },
      { dataDir: 'x', httpPort: 70_000 },
      { dataDir: 'x', mqttPort: 1.5 },
      { dataDir: 'x', brokerUrl: 'http://nope' },
      { dataDir: 'x', brokerUrl: 'mqtt://b:1883', mqttPort: 1883 },
      { dataDir: 'x', brokerUsername: 'hub' },
      { dataDir: 'x', desiredTtlMs: 10 },
      { dataDir: 'x', logLevel: 'loud' },
      { dataDir: 'x', maxPayloadBytes: 10 },
      { dataDir: 'x', publicHttpUrl: 'ftp://x' },
    ];
    for (const options of bad) {
      expect(() => resolveHubOptions(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'EF_HUB_OPTIONS' }),
      );
    }
    const resolved = resolveHubOptions({ dataDir: 'data' });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolved).toMatchObject({
      host: '0.0.0.0',
      httpPort: 8080,
      mqttPort: 1883,
      desiredTtlMs: 604_800_000,
    });
    await expectCode(startHub({ dataDir: '' }), 'EF_HUB_OPTIONS');
  });

  it('serves the HTTP API with the operator token, metrics and ranged blob downloads', async () => {
    const hub = await kit.start({ http: true });
    expect(hub.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = { authorization: `Bearer ${hub.operatorToken ?? ''}` };
    const denied = await fetch(`${hub.httpUrl}/v1/devices`);
    expect(denied.status).toBe(401);
    await hub.api.enrollDevice('d1', { site: 'a' });
    const devices = await fetch(`${hub.httpUrl}/v1/devices`, { headers: auth });
    expect(devices.status).toBe(200);
    expect(JSON.stringify(await devices.json())).toContain('"d1"');
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toContain('edgefleet_hub_devices_online 0');

    const bytes = randomBytes(10_000);
    const { sha256 } = await (await BlobStore.open(hub.dataDir)).put(bytes);
    const part = await fetch(`${hub.httpUrl}/v1/blobs/${sha256}`, {
      headers: { ...auth, range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
  });
});
