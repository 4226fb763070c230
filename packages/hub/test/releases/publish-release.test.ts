import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundleArchive, writeBundleArchive } from '@edgefleet/runtime';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { publishRelease } from '../../src/releases/publish-release.js';
import type { ReleaseDeps } from '../../src/releases/publish-release.js';
import { findRelease, listReleaseViews } from '../../src/releases/release-queries.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';
import { buildPmBundle, makeTrust } from '../../../../test/helpers/trust-fixture.js';
import { expectCode } from '../storage/store-contract.js';

const trust = makeTrust();
let buildDir: string;
let good: Buffer;
let newer: Buffer;

async function rewrite(
  bytes: Buffer,
  name: string,
  change: (files: Map<string, Buffer>) => void,
  requiredNames?: string[],
): Promise<Buffer> {
  const { files } = await readBundleArchive(bytes);
  change(files);
  const out = join(buildDir, name);
  await writeBundleArchive(
    out,
    [...files].map(([n, data]) => ({ name: n, data })),
    requiredNames === undefined ? {} : { requiredNames },
  );
  return readFile(out);
}

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'ef-hub-rel-build-'));
  good = await readFile(await buildPmBundle(buildDir, trust.release.privateKey));
  newer = await readFile(
    await buildPmBundle(buildDir, trust.release.privateKey, { version: '1.1.0' }),
  );
});

afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

describe('publishRelease', () => {
  let dataDir: string;
  let deps: ReleaseDeps;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ef-hub-rel-'));
    deps = {
      store: SqliteHubStore.open(join(dataDir, 'hub.db')),
      blobs: await BlobStore.open(dataDir),
      keyring: trust.keyring,
    };
  });

  afterEach(async () => {
    await deps.store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('verifies and stores a signed bundle under its sha256, and finds the latest version', async () => {
    const release = await publishRelease(good, deps);
    const sha = createHash('sha256').update(good).digest('hex');
    expect(release).toMatchObject({
      name: 'pm',
      version: '1.0.0',
      sha256: sha,
      bytes: good.length,
    });
    expect(release.manifest.model.file).toBe('model.onnx');
    const blob = await deps.blobs.open(sha);
    expect(blob?.size).toBe(good.length);

    await publishRelease(newer, deps);
    expect((await findRelease(deps.store, 'pm'))?.version).toBe('1.1.0');
    expect((await findRelease(deps.store, 'pm', '1.0.0'))?.sha256).toBe(sha);
    expect(await findRelease(deps.store, 'nothing')).toBeUndefined();
    expect((await listReleaseViews(deps.store)).map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);
  });

  it('refuses a duplicate name@version', async () => {
    await publishRelease(good, deps);
    const err = await expectCode(publishRelease(good, deps), 'EF_HUB_RELEASE_DUPLICATE');
    expect(err.message).toContain('pm@1.0.0');
  });

  it('refuses a bundle signed by the deploy key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-hub-rel-wrong-'));
    try {
      const wrong = await readFile(await buildPmBundle(dir, trust.deploy.privateKey));
      const err = await expectCode(publishRelease(wrong, deps), 'EF_HUB_RELEASE_SIGNATURE');
      expect((err as { details?: Record<string, unknown> }).details?.['reason']).toBe(
        'EF_PROTO_KEY_ROLE',
      );
      expect(err.message).toMatch(/role deploy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await deps.store.listReleaseNames()).toEqual([]);
  });

  it('refuses tampered, unsigned and damaged bundles, storing nothing', async () => {
    const model = await rewrite(good, 'model.efb', (files) => {
      const onnx = Buffer.from(files.get('model.onnx') ?? Buffer.alloc(0));
      onnx[onnx.length - 1] = (onnx[onnx.length - 1] ?? 0) ^ 0xff;
      files.set('model.onnx', onnx);
    });
    await expectCode(publishRelease(model, deps), 'EF_HUB_RELEASE_TAMPERED');

    const manifest = await rewrite(good, 'manifest.efb', (files) => {
      const m = JSON.parse(String(files.get('manifest.json'))) as { version: string };
      m.version = '9.9.9';
      files.set('manifest.json', Buffer.from(JSON.stringify(m)));
    });
    await expectCode(publishRelease(manifest, deps), 'EF_HUB_RELEASE_SIGNATURE');

    const unsigned = await rewrite(
      good,
      'unsigned.efb',
      (files) => files.delete('signature.json'),
      ['manifest.json', 'model.onnx'],
    );
    await expectCode(publishRelease(unsigned, deps), 'EF_HUB_RELEASE_UNSIGNED');

    const truncated = good.subarray(0, Math.floor(good.length / 2));
    await expectCode(publishRelease(truncated, deps), 'EF_HUB_RELEASE_INVALID');
    await expectCode(publishRelease(Buffer.from('not a bundle'), deps), 'EF_HUB_RELEASE_INVALID');
    await expectCode(publishRelease(Buffer.alloc(0), deps), 'EF_HUB_RELEASE_INVALID');

    expect(await deps.store.listReleaseNames()).toEqual([]);
    expect(await deps.blobs.has(createHash('sha256').update(model).digest('hex'))).toBe(false);
  });
});
