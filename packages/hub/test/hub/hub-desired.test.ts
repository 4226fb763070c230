import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDesiredEnvelope, topics, verifyDesiredState } from '@edgefleet/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nextClose } from '../broker/helpers.js';
import { expectCode } from '../storage/store-contract.js';
import { buildPmBundle, makeTrust } from '../../../../test/helpers/trust-fixture.js';
import { HubKit, inboxOf } from './hub-test-kit.js';
import type { MqttClient } from 'mqtt';

const trust = makeTrust();
let buildDir: string;
let v1: Buffer;
let v2: Buffer;
let wronglySigned: Buffer;

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'ef-hub-desired-build-'));
  v1 = await readFile(await buildPmBundle(buildDir, trust.release.privateKey));
  v2 = await readFile(
    await buildPmBundle(buildDir, trust.release.privateKey, { version: '1.1.0' }),
  );
  const wrongDir = join(buildDir, 'wrong');
  await import('node:fs/promises').then((fs) => fs.mkdir(wrongDir));
  wronglySigned = await readFile(await buildPmBundle(wrongDir, trust.deploy.privateKey));
});
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

/** The next desired-state payload a device receives. */
function nextDesired(client: MqttClient, id: string): Promise<Buffer> {
  return inboxOf(client).take(topics.desired(id));
}

describe('releases and desired state through the hub', () => {
  const kit = new HubKit();
  afterEach(() => kit.cleanup());

  async function startWithTrust(extra: Parameters<HubKit['start']>[0] = {}) {
    const keysDir = kit.tempDir('ef-hub-keys-');
    await trust.writeTo(keysDir);
    return kit.start({
      keyringPath: join(keysDir, 'keyring.json'),
      deployKeyPath: join(keysDir, 'deploy.key'),
      ...extra,
    });
  }

  it('publishes releases and refuses wrongly signed, tampered and duplicate bundles', async () => {
    const hub = await startWithTrust();
    expect((await hub.api.publishRelease(v1)).version).toBe('1.0.0');
    await expectCode(hub.api.publishRelease(v1), 'EF_HUB_RELEASE_DUPLICATE');
    await expectCode(hub.api.publishRelease(wronglySigned), 'EF_HUB_RELEASE_SIGNATURE');
    const tampered = Buffer.from(v2);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 0x01;
    await expectCode(hub.api.publishRelease(tampered), 'EF_HUB_RELEASE_INVALID');
    expect((await hub.api.listReleases()).map((r) => r.version)).toEqual(['1.0.0']);
    expect((await hub.api.getRelease('pm'))?.version).toBe('1.0.0');
  });

  it('deploys: the device receives a retained signed desired state that verifies with the root key', async () => {
    const hub = await startWithTrust({ publicHttpUrl: 'http://hub.example:8080' });
    const r1 = await hub.api.publishRelease(v1);
    const r2 = await hub.api.publishRelease(v2);
    const { provisioning } = await hub.api.enrollDevice('press-20', { site: 'a' });
    expect(provisioning).toMatchObject({
      deviceId: 'press-20',
      username: 'press-20',
      brokerUrl: hub.publicBrokerUrl,
      rootPublicKeys: [trust.rootPublicKeyBase64],
      hubUrl: 'http://hub.example:8080',
    });

    const deployed = await hub.api.deploy('pm', '1.1.0', 'press-20');
    expect(deployed).toMatchObject({
      deviceId: 'press-20',
      version: '1.1.0',
      sha256: r2.sha256,
      desiredVersion: 1,
    });

    // Connects after the deploy: the retained message is delivered on subscribe.
    const client = await kit.connect(hub, 'press-20', provisioning.password);
    const payload = await nextDesired(client, 'press-20');
    const { desired } = verifyDesiredState(payload, {
      deviceId: 'press-20',
      rootPublicKey: provisioning.rootPublicKeys,
    });
    expect(desired.version).toBe(1);
    expect(desired.models).toEqual([
      {
        name: 'pm',
        version: '1.1.0',
        sha256: r2.sha256,
        bytes: r2.bytes,
        url: `http://hub.example:8080/v1/blobs/${r2.sha256}`,
      },
    ]);
    expect(Date.parse(desired.expires) - Date.parse(desired.issuedAt)).toBe(7 * 86_400_000);

    // An explicit older version is a rollback: a newer document that allows the downgrade.
    const next = nextDesired(client, 'press-20');
    await hub.api.deploy('pm', '1.0.0', 'press-20');
    const rollback = verifyDesiredState(await next, {
      deviceId: 'press-20',
      rootPublicKey: provisioning.rootPublicKeys,
      lastVersion: 1,
      installed: { pm: '1.1.0' },
    }).desired;
    expect(rollback).toMatchObject({ version: 2, allowDowngrade: true });
    expect(rollback.models[0]?.sha256).toBe(r1.sha256);
    const view = await hub.api.getDevice('press-20');
    expect(view?.desired).toMatchObject({
      version: 2,
      models: [{ name: 'pm', version: '1.0.0', sha256: r1.sha256 }],
    });

    await expectCode(hub.api.deploy('pm', '9.9.9', 'press-20'), 'EF_HUB_RELEASE_NOT_FOUND');
    await expectCode(hub.api.deploy('pm', '1.0.0', 'ghost'), 'EF_HUB_DESIRED_UNKNOWN_DEVICE');
  });

  it('renews desired state before it expires, under a new version', async () => {
    const hub = await startWithTrust({ desiredTtlMs: 2000 });
    await hub.api.publishRelease(v1);
    const d = await kit.device(hub, 'press-21');
    const first = nextDesired(d.client, d.id);
    await hub.api.deploy('pm', '1.0.0', d.id);
    expect(parseDesiredEnvelope(await first).signed.version).toBe(1);
    const renewed = parseDesiredEnvelope(await nextDesired(d.client, d.id)).signed;
    expect(renewed.version).toBe(2);
    expect(renewed.models.map((m) => m.version)).toEqual(['1.0.0']);
    expect(hub.metrics.desiredPublished.get({ cause: 'renew' })).toBeGreaterThanOrEqual(1);
  });

  it('revokes: the device is disconnected, refused and gets no desired state', async () => {
    const hub = await startWithTrust();
    await hub.api.publishRelease(v1);
    const d = await kit.device(hub, 'press-22');
    const closed = nextClose(d.client, 10_000);
    const view = await hub.api.revokeDevice(d.id);
    expect(view.revokedAt).not.toBeNull();
    expect(view.online).toBe(false);
    await closed;
    await expect(kit.connect(hub, d.id, d.password)).rejects.toThrow();
    await expectCode(hub.api.deploy('pm', '1.0.0', d.id), 'EF_HUB_DESIRED_REVOKED_DEVICE');
  });

  it('restores retained desired state after a restart of the hub', async () => {
    const dataDir = kit.tempDir();
    const hub = await startWithTrust({ dataDir });
    await hub.api.publishRelease(v1);
    const { provisioning } = await hub.api.enrollDevice('press-23', {});
    await hub.api.deploy('pm', '1.0.0', 'press-23');
    await hub.close();

    const again = await startWithTrust({ dataDir });
    // Whether it subscribed before or after the hub republished, the device gets version 1.
    const client = await kit.connect(again, 'press-23', provisioning.password);
    const received = await nextDesired(client, 'press-23');
    expect(parseDesiredEnvelope(received).signed.version).toBe(1);
  });
});
