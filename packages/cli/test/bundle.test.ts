import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSignedBundle } from '@edgefleet/compiler';
import { readBundleArchive, writeBundleArchive } from '@edgefleet/runtime';
import {
  readSampleModel,
  sampleUnsignedManifest,
} from '../../compiler/test/bundle/sample-manifest.js';
import { runCli } from '../src/run-cli.js';
import { recordingIO } from './cli-io.js';

let dir: string;
const k = (name: string) => join(dir, 'keys', name);
const b = (name: string) => join(dir, name);

async function cli(...args: string[]) {
  const io = recordingIO(dir);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

async function writeBundle(out: string, keyFile: string): Promise<void> {
  await writeSignedBundle({
    manifest: sampleUnsignedManifest(),
    model: readSampleModel(),
    extraFiles: [{ name: 'report.html', data: Buffer.from('<html></html>\n') }],
    releaseKey: await readFile(keyFile, 'utf8'),
    out,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ef-cli-bundle-'));
  // Keys and keyring through the CLI itself, dated now, as an operator would make them.
  for (const role of ['root', 'release', 'deploy']) {
    expect((await cli('keys', 'generate', '--role', role, '--out', join(dir, 'keys'))).code).toBe(
      0,
    );
  }
  const keyring = await cli(
    'keys',
    'keyring',
    '--root',
    k('root.key'),
    '--release',
    k('release.pub'),
    '--deploy',
    k('deploy.pub'),
    '--out',
    k('keyring.json'),
  );
  expect(keyring.code).toBe(0);
  await writeBundle(b('good.efb'), k('release.key'));
  await writeBundle(b('by-deploy.efb'), k('deploy.key'));
  // Same signed manifest, one model byte flipped, re-packed.
  const { files } = await readBundleArchive(b('good.efb'));
  const model = Buffer.from(files.get('model.onnx') as Buffer);
  model[100] = (model[100] as number) ^ 0x01;
  files.set('model.onnx', model);
  await writeBundleArchive(
    b('tampered.efb'),
    [...files].map(([name, data]) => ({ name, data })),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bundle inspect', () => {
  it('prints name, version, model and signer, and says nothing was verified', async () => {
    const r = await cli('bundle', 'inspect', b('good.efb'));
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('bundle pump-anomaly 1.2.0');
    expect(r.out).toMatch(/input\s+input float32 \[batch, 4\]/);
    expect(r.out).toContain('tabular into input, 4 feature(s)');
    expect(r.out).toContain('smoke tests 1');
    expect(r.out).toContain('not verified');
  });

  it('--json prints one valid JSON document', async () => {
    const r = await cli('bundle', 'inspect', b('good.efb'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      ok: boolean;
      verified: boolean;
      bundle: { name: string; version: string; signerKeyId: string; files: object };
    };
    expect(doc).toMatchObject({ ok: true, verified: false });
    expect(doc.bundle).toMatchObject({ name: 'pump-anomaly', version: '1.2.0' });
    expect(doc.bundle.signerKeyId).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(doc.bundle.files).sort()).toEqual(['model.onnx', 'report.html']);
  });

  it('a file that is not a bundle: exit 1 with the archive code', async () => {
    const r = await cli('bundle', 'inspect', k('keyring.json'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('EF_BUNDLE_CORRUPT');
  });
});

describe('bundle verify', () => {
  it('exits 0 on a good bundle with --pub', async () => {
    const r = await cli('bundle', 'verify', b('good.efb'), '--pub', k('release.pub'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('verified: signature by');
    expect(r.out).toContain('the given release public key');
  });

  it('exits 0 on a good bundle with --keyring --root-pub, the keyring verified first', async () => {
    const r = await cli(
      'bundle',
      'verify',
      b('good.efb'),
      '--keyring',
      k('keyring.json'),
      '--root-pub',
      k('root.pub'),
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: true,
      verified: true,
      trust: { kind: 'keyring', keyringVersion: 1, keyringVerified: true },
      bundle: { name: 'pump-anomaly' },
    });
  });

  it('with --keyring alone says the keyring was not checked against a root', async () => {
    const r = await cli('bundle', 'verify', b('good.efb'), '--keyring', k('keyring.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('NOT checked against a root key');
  });

  it('exits 1 with EF_BUNDLE_DIGEST on a tampered model', async () => {
    const r = await cli('bundle', 'verify', b('tampered.efb'), '--pub', k('release.pub'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error EF_BUNDLE_DIGEST: .*model\.onnx/);
    const j = await cli('bundle', 'verify', b('tampered.efb'), '--pub', k('release.pub'), '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out)).toMatchObject({ ok: false, error: { code: 'EF_BUNDLE_DIGEST' } });
  });

  it('exits 1 with EF_BUNDLE_SIGNATURE on a bundle signed by the deploy key', async () => {
    const r = await cli(
      'bundle',
      'verify',
      b('by-deploy.efb'),
      '--keyring',
      k('keyring.json'),
      '--root-pub',
      k('root.pub'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error EF_BUNDLE_SIGNATURE: .*role deploy/);
  });

  it('exits 1 when the keyring does not verify from the given root', async () => {
    const r = await cli(
      'bundle',
      'verify',
      b('good.efb'),
      '--keyring',
      k('keyring.json'),
      '--root-pub',
      k('release.pub'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('EF_PROTO_KEYRING_SIGNATURE');
  });

  it('exits 2 when neither --keyring nor --pub is given', async () => {
    const r = await cli('bundle', 'verify', b('good.efb'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/EF_CLI_USAGE.*--keyring.*--pub/);
  });

  it('exits 2 when both --keyring and --pub are given', async () => {
    const r = await cli(
      'bundle',
      'verify',
      b('good.efb'),
      '--keyring',
      k('keyring.json'),
      '--pub',
      k('release.pub'),
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('EF_CLI_USAGE');
  });
});

describe('bundle group help', () => {
  it('lists both bundle commands under the group summary', async () => {
    const r = await cli('bundle', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Inspect and verify signed model bundles (.efb)');
    expect(r.out).toContain('bundle inspect');
    expect(r.out).toContain('bundle verify');
  });
});
