import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgefleetError, signDocument } from '@edgefleet/protocol';
import type { Manifest, SignedKeyring } from '@edgefleet/protocol';
import { writeBundleArchive } from '../src/bundle-archive/index.js';
import {
  BUNDLE_ERROR_CODES,
  BundleError,
  extractVerifiedBundle,
  inspectBundle,
  openBundle,
} from '../src/bundle/index.js';
import {
  makeBundleKeyring,
  makeBundleKeys,
  NOW,
  readSampleModel,
  sampleManifest,
} from '../../compiler/test/bundle/sample-manifest.js';
import type { BundleKeys } from '../../compiler/test/bundle/sample-manifest.js';

// These tests pack bundles by hand (sign + archive) rather than with the compiler's writer, so
// the reading side is checked on its own and tampered bundles the writer would never produce
// can be built.

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const MODEL = readSampleModel();
const REPORT = Buffer.from('<html><body>compile report</body></html>\n');

let root: string;
let n = 0;
let keys: BundleKeys;
let keyring: SignedKeyring;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'efb-open-'));
  keys = makeBundleKeys();
  keyring = makeBundleKeyring(keys);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function nextPath(): string {
  n += 1;
  return join(root, `b${n}.efb`);
}

type Files = Record<string, Uint8Array>;

function manifestJson(manifest: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** manifest.json + signature.json over its canonical form ([P-BD-1]) by `signerPem`. */
function signedFiles(manifest: Manifest | Record<string, unknown>, signerPem: string): Files {
  const manifestBytes = manifestJson(manifest);
  const signature = signDocument(JSON.parse(manifestBytes.toString('utf8')), signerPem);
  return {
    'manifest.json': manifestBytes,
    'signature.json': Buffer.from(JSON.stringify(signature)),
  };
}

/** A valid bundle's files, signed by the release key unless told otherwise. */
function goodFiles(signerPem = keys.release.privateKeyPem): Files {
  return {
    ...signedFiles(
      sampleManifest(sha256(MODEL), MODEL.length, { 'report.html': sha256(REPORT) }),
      signerPem,
    ),
    'model.onnx': MODEL,
    'report.html': REPORT,
  };
}

async function pack(files: Files, path = nextPath()): Promise<string> {
  await writeBundleArchive(
    path,
    Object.entries(files).map(([name, data]) => ({ name, data })),
  );
  return path;
}

function flipped(data: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(data);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

async function expectBundleError(
  promise: Promise<unknown>,
  code: keyof typeof BUNDLE_ERROR_CODES,
  details: Record<string, unknown> = {},
): Promise<BundleError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleError);
  expect(err).toMatchObject({ code, details });
  return err as BundleError;
}

describe('error catalog', () => {
  it('BundleError is an EdgefleetError and every code has a sentence', () => {
    expect(new BundleError('EF_BUNDLE_DIGEST', 'x')).toBeInstanceOf(EdgefleetError);
    for (const [code, text] of Object.entries(BUNDLE_ERROR_CODES)) {
      expect(code).toMatch(/^EF_BUNDLE_[A-Z_]+$/);
      expect(text).toMatch(/^[A-Za-z].*\.$/);
    }
  });
});

describe('openBundle', () => {
  it('verifies a bundle signed by a release key of the keyring and returns its parts', async () => {
    const files = goodFiles();
    const path = await pack(files);
    const opened = await openBundle(path, { keyring, now: NOW });
    expect(opened.manifest.name).toBe('pump-anomaly');
    expect(opened.manifest.model.sha256).toBe(sha256(MODEL));
    expect(opened.manifestBytes.equals(files['manifest.json'] as Buffer)).toBe(true);
    expect(opened.signature.keyId).toBe(
      keyring.signed.keys.find((k) => k.role === 'release')?.keyId,
    );
    expect(opened.files.get('model.onnx')?.equals(MODEL)).toBe(true);
    expect([...opened.files.keys()].sort()).toEqual([
      'manifest.json',
      'model.onnx',
      'report.html',
      'signature.json',
    ]);
    expect(opened.archiveSha256).toBe(sha256(await readFile(path)));
  });

  it('reads from bytes as well as from a path', async () => {
    const path = await pack(goodFiles());
    const opened = await openBundle(await readFile(path), { keyring, now: NOW });
    expect(opened.manifest.version).toBe('1.2.0');
  });

  it('verifies against a bare release public key', async () => {
    const path = await pack(goodFiles());
    const opened = await openBundle(path, { publicKey: keys.release.publicKeyPem });
    expect(opened.manifest.name).toBe('pump-anomaly');
  });

  it('covers the canonical manifest, so re-indenting manifest.json keeps the signature valid [P-SG-3]', async () => {
    const files = goodFiles();
    const minified = Buffer.from(JSON.stringify(JSON.parse(String(files['manifest.json']))));
    const path = await pack({ ...files, 'manifest.json': minified });
    const opened = await openBundle(path, { keyring, now: NOW });
    expect(opened.manifestBytes.equals(minified)).toBe(true);
  });

  it('needs exactly one trust anchor (EF_BUNDLE_TRUST)', async () => {
    const path = await pack(goodFiles());
    await expectBundleError(openBundle(path, {}), 'EF_BUNDLE_TRUST');
    await expectBundleError(
      openBundle(path, { keyring, publicKey: keys.release.publicKeyPem }),
      'EF_BUNDLE_TRUST',
    );
  });
});

describe('rejects ...', () => {
  it('a flipped byte in model.onnx (EF_BUNDLE_DIGEST)', async () => {
    const files = goodFiles();
    const path = await pack({ ...files, 'model.onnx': flipped(MODEL, MODEL.length >> 1) });
    const err = await expectBundleError(
      openBundle(path, { keyring, now: NOW }),
      'EF_BUNDLE_DIGEST',
      {
        file: 'model.onnx',
        expected: sha256(MODEL),
      },
    );
    expect(err.message).toContain('model.onnx');
  });

  it('a flipped byte anywhere in manifest.json (EF_BUNDLE_SIGNATURE)', async () => {
    const files = goodFiles();
    const manifest = files['manifest.json'] as Buffer;
    const positions = new Set([0, manifest.length - 1]);
    const stride = Math.ceil(manifest.length / 48);
    for (let i = 0; i < manifest.length; i += stride) positions.add(i);
    for (const i of positions) {
      const path = await pack({ ...files, 'manifest.json': flipped(manifest, i) });
      await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_SIGNATURE');
    }
  });

  it('a flipped byte anywhere in signature.json (EF_BUNDLE_SIGNATURE)', async () => {
    const files = goodFiles();
    const signature = files['signature.json'] as Buffer;
    for (let i = 0; i < signature.length; i += 1) {
      const path = await pack({ ...files, 'signature.json': flipped(signature, i) });
      await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_SIGNATURE');
    }
  });

  it('a manifest edited and re-packed without re-signing (EF_BUNDLE_SIGNATURE)', async () => {
    const files = goodFiles();
    const edited = JSON.parse(String(files['manifest.json'])) as Manifest;
    edited.version = '1.2.1';
    const path = await pack({ ...files, 'manifest.json': manifestJson(edited) });
    const err = await expectBundleError(
      openBundle(path, { keyring, now: NOW }),
      'EF_BUNDLE_SIGNATURE',
      { reason: 'EF_PROTO_SIGNATURE_INVALID' },
    );
    expect(err.cause).toMatchObject({ code: 'EF_PROTO_SIGNATURE_INVALID' });
  });

  it('a manifest signed by the deploy key, the wrong role (EF_BUNDLE_SIGNATURE)', async () => {
    const path = await pack(goodFiles(keys.deploy.privateKeyPem));
    await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_SIGNATURE', {
      reason: 'EF_PROTO_KEY_ROLE',
    });
  });

  it('a manifest signed by the root key (EF_BUNDLE_SIGNATURE)', async () => {
    const path = await pack(goodFiles(keys.root.privateKeyPem));
    await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_SIGNATURE', {
      reason: 'EF_PROTO_KEY_ROLE',
    });
  });

  it('a manifest signed by a key not in the keyring (EF_BUNDLE_SIGNATURE)', async () => {
    const path = await pack(goodFiles(keys.stranger.privateKeyPem));
    await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_SIGNATURE', {
      reason: 'EF_PROTO_KEY_UNKNOWN',
    });
  });

  it('a manifest signed by another key than the given public key (EF_BUNDLE_SIGNATURE)', async () => {
    const path = await pack(goodFiles(keys.stranger.privateKeyPem));
    await expectBundleError(
      openBundle(path, { publicKey: keys.release.publicKeyPem }),
      'EF_BUNDLE_SIGNATURE',
      { reason: 'EF_PROTO_KEY_UNKNOWN' },
    );
  });

  it('a manifest signed by an expired release key (EF_BUNDLE_SIGNATURE)', async () => {
    const shortLived = makeBundleKeyring(keys, new Date('2025-07-01T00:00:00.000Z'));
    const path = await pack(goodFiles());
    await expect(openBundle(path, { keyring: shortLived, now: NOW })).resolves.toBeDefined();
    await expectBundleError(
      openBundle(path, { keyring: shortLived, now: new Date('2025-07-01T00:00:00.000Z') }),
      'EF_BUNDLE_SIGNATURE',
      { reason: 'EF_PROTO_KEY_EXPIRED' },
    );
  });

  it('a file in the archive that the manifest does not list (EF_BUNDLE_UNLISTED_FILE)', async () => {
    const files = {
      ...signedFiles(sampleManifest(sha256(MODEL), MODEL.length), keys.release.privateKeyPem),
      'model.onnx': MODEL,
      'report.html': REPORT,
    };
    const path = await pack(files);
    await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_UNLISTED_FILE', {
      file: 'report.html',
    });
  });

  it('a signed manifest whose model digest is not the model (EF_BUNDLE_DIGEST)', async () => {
    const other = sha256(Buffer.from('another model'));
    const files = {
      ...signedFiles(sampleManifest(other, MODEL.length), keys.release.privateKeyPem),
      'model.onnx': MODEL,
    };
    const path = await pack(files);
    await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_DIGEST', {
      file: 'model.onnx',
      expected: other,
      actual: sha256(MODEL),
    });
  });

  it('a signed manifest whose model size is wrong (EF_BUNDLE_DIGEST)', async () => {
    const files = {
      ...signedFiles(sampleManifest(sha256(MODEL), MODEL.length + 1), keys.release.privateKeyPem),
      'model.onnx': MODEL,
    };
    const path = await pack(files);
    await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_DIGEST', {
      field: 'model.bytes',
    });
  });

  it('a signed manifest that lists a file the archive lacks (EF_BUNDLE_DIGEST)', async () => {
    const files = goodFiles();
    delete files['report.html'];
    const path = await pack(files);
    await expectBundleError(openBundle(path, { keyring, now: NOW }), 'EF_BUNDLE_DIGEST', {
      file: 'report.html',
      actual: null,
    });
  });

  it('a signed manifest that does not match the schema (EF_BUNDLE_MANIFEST)', async () => {
    const manifest = sampleManifest(sha256(MODEL), MODEL.length);
    const invalid = { ...manifest, preprocess: { ...manifest.preprocess, input: 'nope' } };
    const path = await pack({
      ...signedFiles(invalid, keys.release.privateKeyPem),
      'model.onnx': MODEL,
    });
    const err = await expectBundleError(
      openBundle(path, { keyring, now: NOW }),
      'EF_BUNDLE_MANIFEST',
      { reason: 'EF_PROTO_SCHEMA' },
    );
    expect(err.message).toContain('preprocess.input');
    expect(err.cause).toMatchObject({ code: 'EF_PROTO_SCHEMA' });
  });

  it('a damaged archive, with the archive layer code (EF_BUNDLE_CORRUPT)', async () => {
    await expect(
      openBundle(Buffer.from('not a bundle at all'), { keyring, now: NOW }),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_CORRUPT' });
  });
});

describe('inspectBundle', () => {
  it('reads manifest and claimed signer without verifying anything', async () => {
    const path = await pack(goodFiles(keys.stranger.privateKeyPem));
    const inspected = await inspectBundle(path);
    expect(inspected.manifest.name).toBe('pump-anomaly');
    expect(inspected.signature?.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(inspected.digests.get('model.onnx')).toBe(sha256(MODEL));
    expect(inspected.archiveSha256).toBe(sha256(await readFile(path)));
  });

  it('shows a malformed signature.json as no signature', async () => {
    const path = await pack({ ...goodFiles(), 'signature.json': Buffer.from('{}') });
    expect((await inspectBundle(path)).signature).toBeUndefined();
  });

  it('still refuses a manifest that does not match the schema (EF_BUNDLE_MANIFEST)', async () => {
    const path = await pack({ ...goodFiles(), 'manifest.json': Buffer.from('{"name":1}') });
    await expectBundleError(inspectBundle(path), 'EF_BUNDLE_MANIFEST');
  });
});

describe('extractVerifiedBundle', () => {
  async function freshParent(): Promise<string> {
    n += 1;
    const dir = join(root, `x${n}`);
    await mkdir(dir);
    return dir;
  }

  it('extracts and verifies, returning digests hashed from disk', async () => {
    const archive = await pack(goodFiles());
    const parent = await freshParent();
    const dest = join(parent, 'bundle');
    const result = await extractVerifiedBundle(archive, dest, { keyring, now: NOW });
    expect(result.dir).toBe(dest);
    expect(result.manifest.name).toBe('pump-anomaly');
    expect(result.digests.get('model.onnx')).toBe(sha256(MODEL));
    expect((await readFile(join(dest, 'model.onnx'))).equals(MODEL)).toBe(true);
    expect(result.archiveSha256).toBe(sha256(await readFile(archive)));
  });

  it('leaves nothing behind when verification fails', async () => {
    const cases: Array<[Files, keyof typeof BUNDLE_ERROR_CODES]> = [
      [{ ...goodFiles(), 'model.onnx': flipped(MODEL, 7) }, 'EF_BUNDLE_DIGEST'],
      [goodFiles(keys.deploy.privateKeyPem), 'EF_BUNDLE_SIGNATURE'],
    ];
    for (const [files, code] of cases) {
      const archive = await pack(files);
      const parent = await freshParent();
      await expectBundleError(
        extractVerifiedBundle(archive, join(parent, 'bundle'), { keyring, now: NOW }),
        code,
      );
      expect(await readdir(parent)).toEqual([]);
    }
  });

  it('never touches an existing destination (EF_BUNDLE_DEST_EXISTS)', async () => {
    const archive = await pack(goodFiles());
    const parent = await freshParent();
    const dest = join(parent, 'bundle');
    await mkdir(dest);
    await writeFile(join(dest, 'keep.txt'), 'mine');
    await expect(extractVerifiedBundle(archive, dest, { keyring, now: NOW })).rejects.toMatchObject(
      { code: 'EF_BUNDLE_DEST_EXISTS' },
    );
    expect(await readFile(join(dest, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
