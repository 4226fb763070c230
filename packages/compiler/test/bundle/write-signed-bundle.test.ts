import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes, EdgefleetError, keyIdOf } from '@edgefleet/protocol';
import type { SignedKeyring } from '@edgefleet/protocol';
import { readBundleArchive } from '@edgefleet/runtime';
import { inspectBundle, openBundle } from '../../../runtime/src/bundle/index.js';
import {
  BUNDLE_WRITER_ERROR_CODES,
  BundleWriterError,
  completeManifest,
  writeSignedBundle,
} from '../../src/bundle/index.js';
import type { UnsignedManifest } from '../../src/bundle/index.js';
import {
  makeBundleKeyring,
  makeBundleKeys,
  NOW,
  readSampleModel,
  sampleUnsignedManifest,
} from './sample-manifest.js';
import type { BundleKeys } from './sample-manifest.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const MODEL = readSampleModel();
const REPORT = Buffer.from('<html><body>compile report</body></html>\n');

let dir: string;
let keys: BundleKeys;
let keyring: SignedKeyring;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'efb-write-'));
  keys = makeBundleKeys();
  keyring = makeBundleKeyring(keys);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function write(out: string, manifest: UnsignedManifest = sampleUnsignedManifest()) {
  return writeSignedBundle({
    manifest,
    model: MODEL,
    extraFiles: [{ name: 'report.html', data: REPORT }],
    releaseKey: keys.release.privateKeyPem,
    out: join(dir, out),
  });
}

describe('writeSignedBundle', () => {
  it('writes a bundle that openBundle verifies with the keyring and with the public key', async () => {
    const written = await write('round-trip.efb');
    expect(written.keyId).toBe(keyIdOf(keys.release.publicKeyPem));
    expect(written.archiveSha256).toBe(sha256(await readFile(written.path)));
    expect(written.bytes).toBe((await readFile(written.path)).length);

    const opened = await openBundle(written.path, { keyring, now: NOW });
    expect(opened.archiveSha256).toBe(written.archiveSha256);
    expect(opened.signature.keyId).toBe(written.keyId);
    expect(opened.manifest).toEqual(written.manifest);
    expect(opened.manifest.model).toMatchObject({ sha256: sha256(MODEL), bytes: MODEL.length });
    expect(opened.manifest.files).toEqual({
      'model.onnx': sha256(MODEL),
      'report.html': sha256(REPORT),
    });
    expect(opened.files.get('model.onnx')?.equals(MODEL)).toBe(true);
    expect(opened.files.get('report.html')?.equals(REPORT)).toBe(true);
    await expect(
      openBundle(written.path, { publicKey: keys.release.publicKeyPem }),
    ).resolves.toBeDefined();
  });

  it('stores pretty JSON and signs its canonical form [P-SG-3]', async () => {
    const written = await write('pretty.efb');
    const { files } = await readBundleArchive(written.path);
    const text = String(files.get('manifest.json'));
    expect(text).toContain('\n  "name": "pump-anomaly",');
    expect(text.endsWith('}\n')).toBe(true);
    expect(Buffer.from(canonicalBytes(JSON.parse(text))).toString()).not.toContain('\n');
  });

  it('is deterministic: same inputs and createdAt, same bytes', async () => {
    const a = await write('det-a.efb');
    const b = await write('det-b.efb');
    expect(a.archiveSha256).toBe(b.archiveSha256);
    expect((await readFile(a.path)).equals(await readFile(b.path))).toBe(true);
    const later = { ...sampleUnsignedManifest(), createdAt: '2025-06-02T12:00:00.000Z' };
    expect((await write('det-c.efb', later)).archiveSha256).not.toBe(a.archiveSha256);
  });

  it('replaces digests a caller put in the manifest with the real ones', async () => {
    const draft = sampleUnsignedManifest();
    const lying = {
      ...draft,
      model: { ...draft.model, sha256: sha256(Buffer.from('x')), bytes: 1 },
      files: { 'model.onnx': sha256(Buffer.from('x')) },
    } as UnsignedManifest;
    const written = await write('lying.efb', lying);
    const { manifest } = await inspectBundle(written.path);
    expect(manifest.model.sha256).toBe(sha256(MODEL));
    expect(manifest.files['model.onnx']).toBe(sha256(MODEL));
  });

  it('has a catalog of coded errors', () => {
    expect(new BundleWriterError('EF_COMPILE_BUNDLE_MANIFEST', 'x')).toBeInstanceOf(EdgefleetError);
    for (const text of Object.values(BUNDLE_WRITER_ERROR_CODES)) expect(text).toMatch(/\.$/);
  });
});

describe('rejects ...', () => {
  it('an invalid manifest, naming the path and writing nothing (EF_COMPILE_BUNDLE_MANIFEST)', async () => {
    const sub = await mkdtemp(join(dir, 'invalid-'));
    const draft = sampleUnsignedManifest();
    const invalid = { ...draft, postprocess: { ...draft.postprocess, output: 'logits' } };
    const err = await writeSignedBundle({
      manifest: invalid,
      model: MODEL,
      releaseKey: keys.release.privateKeyPem,
      out: join(sub, 'bad.efb'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleWriterError);
    expect(err).toMatchObject({
      code: 'EF_COMPILE_BUNDLE_MANIFEST',
      details: { reason: 'EF_PROTO_SCHEMA' },
    });
    expect((err as Error).message).toContain('postprocess.output');
    expect(await readdir(sub)).toEqual([]);
  });

  it('an extra file named like a file the writer produces (EF_COMPILE_BUNDLE_ARGUMENT)', async () => {
    const sub = await mkdtemp(join(dir, 'reserved-'));
    await expect(
      writeSignedBundle({
        manifest: sampleUnsignedManifest(),
        model: MODEL,
        extraFiles: [{ name: 'signature.json', data: Buffer.from('{}') }],
        releaseKey: keys.release.privateKeyPem,
        out: join(sub, 'bad.efb'),
      }),
    ).rejects.toMatchObject({ code: 'EF_COMPILE_BUNDLE_ARGUMENT' });
    expect(await readdir(sub)).toEqual([]);
  });

  it('an empty model (EF_COMPILE_BUNDLE_ARGUMENT)', () => {
    expect(() => completeManifest(sampleUnsignedManifest(), new Uint8Array())).toThrow(
      expect.objectContaining({ code: 'EF_COMPILE_BUNDLE_ARGUMENT' }),
    );
  });

  it('an extra file the archive does not allow, writing nothing (EF_BUNDLE_UNEXPECTED_FILE)', async () => {
    const sub = await mkdtemp(join(dir, 'unexpected-'));
    await expect(
      writeSignedBundle({
        manifest: sampleUnsignedManifest(),
        model: MODEL,
        extraFiles: [{ name: 'notes.txt', data: Buffer.from('hi') }],
        releaseKey: keys.release.privateKeyPem,
        out: join(sub, 'bad.efb'),
      }),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_UNEXPECTED_FILE' });
    expect(await readdir(sub)).toEqual([]);
  });

  it('on opening, a bundle the writer signed with the deploy key (EF_BUNDLE_SIGNATURE)', async () => {
    const written = await writeSignedBundle({
      manifest: sampleUnsignedManifest(),
      model: MODEL,
      releaseKey: keys.deploy.privateKeyPem,
      out: join(dir, 'by-deploy.efb'),
    });
    await expect(openBundle(written.path, { keyring, now: NOW })).rejects.toMatchObject({
      code: 'EF_BUNDLE_SIGNATURE',
      details: { reason: 'EF_PROTO_KEY_ROLE' },
    });
  });

  it('a release key that is not a private key (EF_PROTO_KEY_INVALID)', async () => {
    await expect(
      writeSignedBundle({
        manifest: sampleUnsignedManifest(),
        model: MODEL,
        releaseKey: keys.release.publicKeyPem,
        out: join(dir, 'never.efb'),
      }),
    ).rejects.toMatchObject({ code: 'EF_PROTO_KEY_INVALID' });
  });
});
