import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBundle, OPERATOR_TOKEN, startHarness } from './hub-cli-harness.js';
import type { Harness } from './hub-cli-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function bundleFile(
  name: string,
  version: string,
  options: { padBytes?: number; tampered?: boolean } = {},
) {
  const path = join(h.dir, `${name}-${version}.efb`);
  await writeFile(path, fakeBundle(name, version, options));
  return path;
}

describe('release publish', () => {
  it('uploads the bundle and prints the release', async () => {
    const file = await bundleFile('pm', '1.0.0');
    const r = await h.cli(['release', 'publish', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^published pm@1\.0\.0 \(\d+ bytes, sha256 [0-9a-f]{64}\)/);
    expect(r.out).toContain('edgefleet deploy pm@1.0.0 --device <id>');
    expect(h.hub.api.releases).toHaveLength(1);
  });

  it('--json prints the ReleaseView', async () => {
    const doc = await h.json<{ release: { name: string; version: string; sha256: string } }>(
      'release',
      'publish',
      await bundleFile('pm', '1.0.0'),
    );
    expect(doc).toMatchObject({ ok: true, release: { name: 'pm', version: '1.0.0' } });
    expect(doc.release.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('draws a progress line on a terminal for a large bundle, relative to the path', async () => {
    await bundleFile('pm', '2.0.0', { padBytes: 3 * 1024 * 1024 });
    const r = await h.cli(
      ['release', 'publish', 'pm-2.0.0.efb'],
      { EDGEFLEET_HUB: h.hub.url, EDGEFLEET_TOKEN: OPERATOR_TOKEN },
      true,
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain('uploading [');
  });

  it('shows the hub refusal with its code: duplicate and tampered', async () => {
    const file = await bundleFile('pm', '1.0.0');
    await h.cli(['release', 'publish', file]);
    const dup = await h.cli(['release', 'publish', file]);
    expect(dup.code).toBe(1);
    expect(dup.err).toContain(
      'error EF_HUB_RELEASE_DUPLICATE: the hub refused: pm@1.0.0 is already published',
    );
    const tampered = await h.cli([
      'release',
      'publish',
      await bundleFile('pm', '1.1.0', { tampered: true }),
      '--json',
    ]);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.out)).toMatchObject({
      ok: false,
      error: { code: 'EF_HUB_RELEASE_TAMPERED', details: { httpStatus: 422 } },
    });
  });

  it('a missing file is EF_CLI_FILE_READ before the hub is asked', async () => {
    const r = await h.cli(['release', 'publish', 'nope.efb']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('EF_CLI_FILE_READ');
    expect(h.hub.api.calls).toEqual([]);
  });
});

describe('release list and show', () => {
  beforeEach(async () => {
    for (const [n, v] of [
      ['pm', '1.0.0'],
      ['pm', '1.10.0'],
      ['cam', '0.1.0'],
    ] as const) {
      await h.hub.api.publishRelease(fakeBundle(n, v));
    }
  });

  it('list prints a table; --json the releases; a name keeps its versions', async () => {
    const r = await h.cli(['release', 'list']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+SHA256\s+BYTES\s+PUBLISHED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join('@'))).toEqual([
      'cam@0.1.0',
      'pm@1.0.0',
      'pm@1.10.0',
    ]);
    const doc = await h.json<{ releases: { version: string }[] }>('release', 'list', 'pm');
    expect(doc.releases.map((x) => x.version)).toEqual(['1.0.0', '1.10.0']);
  });

  it('an empty list says so', async () => {
    const r = await h.cli(['release', 'list', 'nothing']);
    expect(r.out).toBe('no releases\n');
  });

  it('show name@version, or the latest of a name', async () => {
    const one = await h.cli(['release', 'show', 'pm@1.0.0']);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^release pm@1\.0\.0\n {2}sha256 +[0-9a-f]{64}/);
    const latest = await h.json<{ release: { version: string } }>('release', 'show', 'pm');
    expect(latest.release.version).toBe('1.10.0');
  });

  it('an unknown release shows the hub code; a malformed reference is a usage error', async () => {
    const r = await h.cli(['release', 'show', 'pm@9.0.0']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('EF_HUB_HTTP_UNKNOWN_RELEASE');
    const bad = await h.cli(['release', 'show', 'pm@']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('EF_CLI_USAGE');
  });
});
