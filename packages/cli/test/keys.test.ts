import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { recordingIO } from './cli-io.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ef-cli-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const io = recordingIO(dir);
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

async function json(...args: string[]) {
  const r = await cli(...args, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as Record<string, unknown> & {
    keyring: { version: number; keys: { role: string; keyId: string }[]; root: string[] };
  };
}

async function generate(role: string, out = join(dir, 'keys')) {
  return json('keys', 'generate', '--role', role, '--out', out);
}

describe('keys generate', () => {
  it('writes a 0600 PKCS#8 private key and an SPKI public key named after the role', async () => {
    const r = await generate('root');
    expect(r).toMatchObject({ ok: true, role: 'root' });
    expect(r['keyId']).toMatch(/^[0-9a-f]{64}$/);
    const key = join(dir, 'keys', 'root.key');
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect(await readFile(key, 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(await readFile(join(dir, 'keys', 'root.pub'), 'utf8')).toContain(
      '-----BEGIN PUBLIC KEY-----',
    );
  });

  it('refuses to overwrite an existing key without --force', async () => {
    await generate('release');
    const before = await readFile(join(dir, 'keys', 'release.key'), 'utf8');
    const again = await cli('keys', 'generate', '--role', 'release', '--out', join(dir, 'keys'));
    expect(again.code).toBe(1);
    expect(again.err).toContain('EF_CLI_FILE_EXISTS');
    expect(await readFile(join(dir, 'keys', 'release.key'), 'utf8')).toBe(before);
    await generate('release').catch(() => undefined);
    const forced = await cli(
      'keys',
      'generate',
      '--role',
      'release',
      '--out',
      join(dir, 'keys'),
      '--force',
    );
    expect(forced.code).toBe(0);
  });

  it('rejects an unknown role', async () => {
    const r = await cli('keys', 'generate', '--role', 'admin', '--out', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/EF_CLI_USAGE.*--role must be one of root, release, deploy/);
  });
});

describe('keys keyring, rotate, inspect', () => {
  beforeEach(async () => {
    for (const role of ['root', 'release', 'deploy']) await generate(role);
  });
  const k = (name: string) => join(dir, 'keys', name);

  it('writes a root-signed keyring version 1 that verifies from the root public key', async () => {
    const r = await json(
      'keys',
      'keyring',
      '--root',
      k('root.key'),
      '--release',
      k('release.pub'),
      '--deploy',
      k('deploy.pub'),
      '--expires',
      '30d',
      '--out',
      k('keyring.json'),
    );
    expect(r.keyring.version).toBe(1);
    expect(r.keyring.keys.map((x) => x.role).sort()).toEqual(['deploy', 'release']);
    const inspected = await json('keys', 'inspect', k('keyring.json'), '--root-pub', k('root.pub'));
    expect(inspected['verified']).toBe(true);
  });

  it('rotates the release key, then the root, and the chain verifies from the first root', async () => {
    await json(
      'keys',
      'keyring',
      '--root',
      k('root.key'),
      '--release',
      k('release.pub'),
      '--deploy',
      k('deploy.pub'),
      '--out',
      k('keyring-1.json'),
    );
    await generate('release', join(dir, 'keys2'));
    const v2 = await json(
      'keys',
      'rotate',
      '--keyring',
      k('keyring-1.json'),
      '--root',
      k('root.key'),
      '--release',
      join(dir, 'keys2', 'release.pub'),
      '--out',
      k('keyring-2.json'),
    );
    expect(v2.keyring.version).toBe(2);
    await generate('root', join(dir, 'keys2'));
    const v3 = await json(
      'keys',
      'rotate',
      '--keyring',
      k('keyring-2.json'),
      '--root',
      k('root.key'),
      '--new-root',
      join(dir, 'keys2', 'root.key'),
      '--out',
      k('keyring-3.json'),
    );
    expect(v3.keyring.version).toBe(3);
    expect(v3.keyring.root).not.toEqual(v2.keyring.root);
    const chain = await json(
      'keys',
      'inspect',
      k('keyring-1.json'),
      k('keyring-2.json'),
      k('keyring-3.json'),
      '--root-pub',
      k('root.pub'),
    );
    expect(chain.keyring.version).toBe(3);
  });

  it('rejects a keyring checked against another root key', async () => {
    await json(
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
    await generate('root', join(dir, 'other'));
    const r = await cli(
      'keys',
      'inspect',
      k('keyring.json'),
      '--root-pub',
      join(dir, 'other', 'root.pub'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error EF_PROTO_/);
  });

  it('rejects a rotation signed with a key that is not the current root', async () => {
    await json(
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
    const r = await cli(
      'keys',
      'rotate',
      '--keyring',
      k('keyring.json'),
      '--root',
      k('release.key'),
      '--out',
      k('keyring-2.json'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error EF_PROTO_/);
    await expect(stat(k('keyring-2.json'))).rejects.toThrow();
  });

  it('rejects a tampered keyring file', async () => {
    await json(
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
    const doc = JSON.parse(await readFile(k('keyring.json'), 'utf8'));
    doc.signed.expires = '2999-01-01T00:00:00.000Z';
    await writeFile(k('keyring.json'), JSON.stringify(doc));
    const r = await cli('keys', 'inspect', k('keyring.json'), '--root-pub', k('root.pub'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('EF_PROTO_SIGNATURE_INVALID');
  });

  it.each([
    ['a missing key file', ['--root', 'nope.key'], 'EF_CLI_FILE_READ'],
    [
      'a public key where the root private key belongs',
      ['--root', 'keys/root.pub'],
      'EF_PROTO_KEY_INVALID',
    ],
    ['a bad duration', ['--root', 'keys/root.key', '--expires', 'forever'], 'EF_PROTO_DURATION'],
  ])('rejects %s', async (_name, extra, code) => {
    const args = extra.map((a) => (a.includes('/') || a.endsWith('.key') ? join(dir, a) : a));
    const r = await cli(
      'keys',
      'keyring',
      ...args,
      '--release',
      k('release.pub'),
      '--deploy',
      k('deploy.pub'),
      '--out',
      k('x.json'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(code);
  });
});
