import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdgefleet } from './helpers/run-edgefleet.js';

describe('the edgefleet process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-cli-proc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--help exits 0 and lists the keys commands', async () => {
    const r = await runEdgefleet(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('keys generate');
  });

  it('sets exit code 2 on a usage error and 1 on a coded error', async () => {
    expect((await runEdgefleet(['nope'])).code).toBe(2);
    const r = await runEdgefleet([
      'keys',
      'keyring',
      '--root',
      join(dir, 'missing.key'),
      '--out',
      join(dir, 'k.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('EF_CLI_FILE_READ');
  });

  it('creates keys and a keyring a device can verify, end to end', async () => {
    for (const role of ['root', 'release', 'deploy']) {
      expect((await runEdgefleet(['keys', 'generate', '--role', role, '--out', dir])).code).toBe(0);
    }
    const ring = await runEdgefleet([
      'keys',
      'keyring',
      '--root',
      join(dir, 'root.key'),
      '--release',
      join(dir, 'release.pub'),
      '--deploy',
      join(dir, 'deploy.pub'),
      '--out',
      join(dir, 'keyring.json'),
    ]);
    expect(ring.stderr).toBe('');
    expect(ring.code).toBe(0);
    expect((await stat(join(dir, 'keyring.json'))).size).toBeGreaterThan(100);
    const check = await runEdgefleet([
      'keys',
      'inspect',
      join(dir, 'keyring.json'),
      '--root-pub',
      join(dir, 'root.pub'),
      '--json',
    ]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({
      ok: true,
      verified: true,
      keyring: { version: 1 },
    });
  });
});
