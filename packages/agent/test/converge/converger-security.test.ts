import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '@edgefleet/protocol';
import { readBundleArchive, writeBundleArchive } from '@edgefleet/runtime';
import { makeTrust } from '../../../../test/helpers/trust-fixture.js';
import type { TrustFixture } from '../../../../test/helpers/trust-fixture.js';
import {
  ConvergeFixture,
  buildBundles,
  bundleFile,
  installHealthy,
  modelOf,
  waitFor,
} from './helpers/converge-fixture.js';
import type { BundleFile } from './helpers/converge-fixture.js';

describe('Converger refuses what it must not run', () => {
  let trust: TrustFixture;
  let buildDir: string;
  let b: Map<string, BundleFile>;
  let v100: BundleFile;
  let v110: BundleFile;
  let badDigest: BundleFile;
  let fx: ConvergeFixture;

  beforeAll(async () => {
    trust = makeTrust();
    buildDir = mkdtempSync(join(tmpdir(), 'ef-bundles-'));
    b = await buildBundles(trust, buildDir, ['1.0.0', '1.1.0']);
    [v100, v110] = [b.get('1.0.0')!, b.get('1.1.0')!];
    // A well-formed archive whose model.onnx differs from the signed manifest's digest.
    const { files } = await readBundleArchive(v110.path);
    const model = Buffer.from(files.get('model.onnx')!);
    model[model.length - 1] = (model[model.length - 1] ?? 0) ^ 0x01;
    files.set('model.onnx', model);
    const path = join(buildDir, 'pm-1.1.0-bad-digest.efb');
    await writeBundleArchive(
      path,
      [...files].map(([name, data]) => ({ name, data })),
    );
    badDigest = bundleFile(path, 'pm', '1.1.0');
  });
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  beforeEach(async () => {
    fx = await ConvergeFixture.start(trust, [v100, v110, badDigest]);
    await fx.converger().start();
    await installHealthy(fx, 1, v100);
  });
  afterEach(async () => {
    await fx.close();
  });

  function expectOldServing(): void {
    expect(fx.host.versionOf('pm')).toBe('1.0.0');
    const pointer = JSON.parse(readFileSync(join(fx.stateDir, 'current', 'pm.json'), 'utf8')) as {
      sha256: string;
    };
    expect(pointer.sha256).toBe(v100.sha256);
  }

  it('a tampered bundle (a flipped byte in transit) fails its sha256 check', async () => {
    const tampered = Buffer.from(v110.bytes);
    tampered[100] = (tampered[100] ?? 0) ^ 0xff;
    fx.hub.serve(v110.sha256, tampered);
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    const failed = await fx.waitForState('2:pm', 'failed');
    expect(failed.error?.code).toBe('EF_AGENT_DOWNLOAD_SHA_MISMATCH');
    expectOldServing();
    expect(existsSync(join(fx.stateDir, 'bundles', v110.sha256))).toBe(false);
    expect(readdirSync(join(fx.stateDir, 'downloads'))).toEqual([]);
  });

  it('a bundle whose files do not match its signed manifest is refused at extraction', async () => {
    await fx.publish(fx.desired({ version: 2, models: [modelOf(badDigest)] }));
    const failed = await fx.waitForState('2:pm', 'failed');
    expect(failed.error?.code).toBe('EF_BUNDLE_DIGEST');
    expect(fx.reports.statesOf('2:pm')).toEqual(['pending', 'downloading', 'failed']);
    expectOldServing();
    // Neither the bundle folder nor a staging folder is left behind.
    expect(readdirSync(join(fx.stateDir, 'bundles'))).toEqual([v100.sha256]);
  });

  it('a desired entry naming a bundle under another version is refused', async () => {
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110, { version: '1.5.0' })] }));
    const failed = await fx.waitForState('2:pm', 'failed');
    expect(failed.error?.code).toBe('EF_AGENT_BUNDLE_MISMATCH');
    expectOldServing();
  });

  it('refuses replayed, expired, wrongly signed, foreign and downgrading documents, each reported with its code', async () => {
    await installHealthy(fx, 2, v110);
    const prepares = fx.host.calls.filter((c) => c.startsWith('prepare')).length;
    const cases: { envelope: unknown; version: number; code: string }[] = [
      // Replay: the older document, still validly signed.
      {
        envelope: fx.desired({ version: 1, models: [modelOf(v100)] }),
        version: 1,
        code: 'EF_PROTO_DESIRED_REPLAY',
      },
      {
        envelope: fx.desired({
          version: 3,
          models: [modelOf(v100)],
          allowDowngrade: true,
          issuedAt: new Date(Date.now() - 7_200_000),
          expires: new Date(Date.now() - 3_600_000),
        }),
        version: 3,
        code: 'EF_PROTO_DESIRED_EXPIRED',
      },
      {
        envelope: fx.desired({
          version: 4,
          models: [modelOf(v100)],
          allowDowngrade: true,
          key: trust.release.privateKey,
        }),
        version: 4,
        code: 'EF_PROTO_KEY_ROLE',
      },
      {
        envelope: fx.desired({
          version: 5,
          models: [modelOf(v100)],
          allowDowngrade: true,
          key: generateKeyPair().privateKeyPem,
        }),
        version: 5,
        code: 'EF_PROTO_KEY_UNKNOWN',
      },
      {
        envelope: fx.desired({
          version: 6,
          models: [modelOf(v100)],
          allowDowngrade: true,
          device: 'dev-2',
        }),
        version: 6,
        code: 'EF_PROTO_DESIRED_DEVICE',
      },
      {
        envelope: fx.desired({ version: 7, models: [modelOf(v100)] }),
        version: 7,
        code: 'EF_PROTO_DESIRED_DOWNGRADE',
      },
    ];
    for (const c of cases) {
      await fx.publish(c.envelope as never);
      const refused = await fx.waitForState(`${c.version}:pm:refused`, 'failed');
      expect(refused.error?.code, `version ${c.version}`).toBe(c.code);
      expect(refused).toMatchObject({
        desiredVersion: c.version,
        model: 'pm',
        version: '1.0.0',
        sha256: v100.sha256,
      });
    }
    expect(fx.host.versionOf('pm')).toBe('1.1.0');
    expect(fx.host.calls.filter((c) => c.startsWith('prepare')).length).toBe(prepares);
  });

  it('treats the retained redelivery of the accepted version as a no-op, and reports a refusal once', async () => {
    const accepted = fx.desired({ version: 2, models: [modelOf(v110)] });
    await fx.publish(accepted);
    await fx.waitForState('2:pm', 'healthy');
    const before = fx.reports.records.length;
    // Equal version, same document: nothing to do, nothing to report ([P-DS-3]).
    await fx.publish(accepted);
    // The same refused payload twice is reported once; the marker proves the first was handled.
    const bogus = JSON.stringify({
      signed: { version: 9, models: [modelOf(v110)] },
      signatures: [],
    });
    await fx.publish(bogus);
    await fx.publish(bogus);
    const marker = fx.desired({ version: 1, models: [modelOf(v100)] });
    await fx.publish(marker);
    await fx.waitForState('1:pm:refused', 'failed');
    const added = fx.reports.records.slice(before).map((r) => r.record);
    expect(
      added.map(
        (r) => `${String(r['executionId'])} ${String((r['error'] as { code?: string })?.code)}`,
      ),
    ).toEqual(['9:pm:refused EF_PROTO_SCHEMA', '1:pm:refused EF_PROTO_DESIRED_REPLAY']);
  });

  it('a document that is not even JSON is refused and logged as an event', async () => {
    await fx.publish('{not json');
    const event = await waitFor(() => fx.reports.records.find((r) => r.stream === 'events'));
    expect(event.record).toMatchObject({ level: 'warn', code: 'EF_PROTO_JSON' });
    expect(fx.host.versionOf('pm')).toBe('1.0.0');
  });
});
