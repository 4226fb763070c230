import { parseDesiredEnvelope, topics, verifyDesiredState } from '@edgefleet/protocol';
import { loadPrivateKey } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesiredStateService } from '../../src/desired/desired-state-service.js';
import type { MessagePublisher, PublishOptions } from '../../src/ingest/message-publisher.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { createHubMetrics } from '../../src/metrics/hub-metrics.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';
import { makeTrust } from '../../../../test/helpers/trust-fixture.js';
import { expectCode } from '../storage/store-contract.js';

const trust = makeTrust();
const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

describe('DesiredStateService', () => {
  let store: SqliteHubStore;
  let now: number;
  let sent: { topic: string; payload: string; options: PublishOptions }[];
  let failPublish: boolean;
  let service: DesiredStateService;

  beforeEach(async () => {
    store = SqliteHubStore.open(':memory:');
    now = Date.now();
    sent = [];
    failPublish = false;
    const publish: MessagePublisher = async (topic, payload, options) => {
      if (failPublish) throw new Error('broker down');
      sent.push({ topic, payload: payload.toString(), options });
    };
    service = new DesiredStateService({
      store,
      keyring: trust.keyring,
      deployKey: loadPrivateKey(trust.deploy.privateKey),
      publish,
      ttlMs: 7 * DAY,
      metrics: createHubMetrics(),
      logger: createLogger(false),
      now: () => now,
    });
    for (const [name, version, c] of [
      ['pm', '1.0.0', 'a'],
      ['pm', '1.1.0', 'b'],
      ['vib', '2.0.0', 'c'],
    ] as const) {
      await store.addRelease({
        name,
        version,
        sha256: c.repeat(64),
        bytes: 100,
        manifest: {},
        publishedAt: T0,
      });
    }
    for (const id of ['d1', 'd2']) {
      await store.enrollDevice({ id, tags: {}, secretHash: 'h', createdAt: T0 });
    }
  });
  afterEach(() => store.close());

  const lastDoc = () => {
    const last = sent[sent.length - 1];
    return last === undefined ? undefined : parseDesiredEnvelope(last.payload).signed;
  };

  it('adds and replaces models per device, signing each version retained', async () => {
    await service.deploy('pm', '1.0.0', 'd1');
    await service.deploy('vib', '2.0.0', 'd1');
    const view = await service.deploy('pm', '1.1.0', 'd1');
    expect(view).toMatchObject({
      deviceId: 'd1',
      version: '1.1.0',
      sha256: 'b'.repeat(64),
      desiredVersion: 3,
    });
    expect(lastDoc()?.models.map((m) => `${m.name}@${m.version}`)).toEqual([
      'vib@2.0.0',
      'pm@1.1.0',
    ]);
    expect(lastDoc()?.allowDowngrade).toBe(false);
    expect(
      sent.every(
        (s) => s.topic === topics.desired('d1') && s.options.retain && s.options.qos === 1,
      ),
    ).toBe(true);
    const { desired } = verifyDesiredState(sent[2]?.payload ?? '', {
      deviceId: 'd1',
      rootPublicKey: trust.rootPublicKeyBase64,
      lastVersion: 2,
    });
    expect(desired.version).toBe(3);

    await service.assign('d1', [{ name: 'pm', version: '1.0.0', rolloutId: 'ro-1', wave: 2 }], {
      allowDowngrade: true,
    });
    expect(lastDoc()).toMatchObject({
      version: 4,
      allowDowngrade: true,
      models: [{ name: 'pm', version: '1.0.0', rolloutId: 'ro-1', wave: 2 }],
    });
    expect(await service.currentModels('d2')).toEqual([]);

    await service.deploy('vib', '2.0.0', 'd1');
    const removed = await service.unassign('d1', 'pm');
    expect(removed.version).toBe(6);
    expect(lastDoc()?.models.map((m) => m.name)).toEqual(['vib']);
  });

  it('serializes concurrent changes of one device', async () => {
    await Promise.all([service.deploy('pm', '1.0.0', 'd1'), service.deploy('vib', '2.0.0', 'd1')]);
    expect((await service.currentModels('d1')).map((m) => m.name).sort()).toEqual(['pm', 'vib']);
  });

  it('refuses unknown devices and releases, revoked devices and bad assignments', async () => {
    await expectCode(service.deploy('pm', '1.0.0', 'ghost'), 'EF_HUB_DESIRED_UNKNOWN_DEVICE');
    await expectCode(service.deploy('pm', '3.0.0', 'd1'), 'EF_HUB_RELEASE_NOT_FOUND');
    await expectCode(
      service.assign('d1', [
        { name: 'pm', version: '1.0.0' },
        { name: 'pm', version: '1.1.0' },
      ]),
      'EF_HUB_DESIRED_ARGUMENT',
    );
    await expectCode(
      service.deploy('pm', '1.0.0', 'd1', { rolloutId: 'has space' }),
      'EF_HUB_DESIRED_ARGUMENT',
    );
    await expectCode(service.deploy('pm', '1.0.0', 'd1', { wave: -1 }), 'EF_HUB_DESIRED_ARGUMENT');
    await store.revokeDevice('d2', T0);
    await expectCode(service.deploy('pm', '1.0.0', 'd2'), 'EF_HUB_DESIRED_REVOKED_DEVICE');
    expect(sent).toEqual([]);
  });

  it('keeps the state when the broker is down, and republishes it later', async () => {
    failPublish = true;
    await service.deploy('pm', '1.0.0', 'd1');
    expect((await store.getDesiredState('d1'))?.envelope?.version).toBe(1);
    failPublish = false;
    await service.deploy('pm', '1.0.0', 'd2');
    await store.revokeDevice('d2', T0);
    sent = [];
    expect(await service.publishAllCurrent()).toBe(1);
    expect(sent.map((s) => s.topic)).toEqual([topics.desired('d1')]);
  });

  it('renews documents past half their lifetime with a new version and the same models', async () => {
    await service.deploy('pm', '1.0.0', 'd1', { rolloutId: 'ro-9' });
    now += 3 * DAY;
    expect(await service.republishDue()).toBe(0);
    now += 1 * DAY;
    expect(await service.republishDue()).toBe(1);
    expect(lastDoc()).toMatchObject({ version: 2, models: [{ name: 'pm', rolloutId: 'ro-9' }] });
    expect(Date.parse(lastDoc()?.expires ?? '')).toBe(now + 7 * DAY);
    expect(await service.republishDue()).toBe(0);
    // A revoked device's document is left to expire.
    await store.revokeDevice('d1', now);
    now += 5 * DAY;
    expect(await service.republishDue()).toBe(0);
  });
});
