import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDeviceProvisioning } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness } from './hub-cli-harness.js';
import type { Harness } from './hub-cli-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('device enroll', () => {
  it('writes device.json with mode 0600 holding the provisioning', async () => {
    const r = await h.cli([
      'device',
      'enroll',
      'press-07',
      '--tags',
      'site=plant-a,hw=rpi5',
      '--out',
      'press-07.json',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('enrolled press-07 (tags hw=rpi5,site=plant-a)');
    const path = join(h.dir, 'press-07.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const provisioning = parseDeviceProvisioning(await readFile(path));
    expect(provisioning).toMatchObject({ deviceId: 'press-07', username: 'press-07' });
    expect(provisioning.password).toBe(h.hub.api.secrets.get('press-07'));
    expect(h.hub.api.devices.get('press-07')?.tags).toEqual({ site: 'plant-a', hw: 'rpi5' });
  });

  it('--json prints the device and the file, never the secret', async () => {
    const doc = await h.json<{ device: { id: string }; file: string }>(
      'device',
      'enroll',
      'cam-1',
      '--tags',
      'site=a',
      '--tags',
      'ring=canary',
      '--out',
      'cam-1.json',
    );
    expect(doc).toMatchObject({
      ok: true,
      device: { id: 'cam-1', tags: { site: 'a', ring: 'canary' } },
    });
    expect(doc.file).toBe(join(h.dir, 'cam-1.json'));
    expect(JSON.stringify(doc)).not.toContain(h.hub.api.secrets.get('cam-1'));
  });

  it('refuses to overwrite without --force, before enrolling anything', async () => {
    await writeFile(join(h.dir, 'd.json'), 'keep');
    const r = await h.cli(['device', 'enroll', 'press-07', '--out', 'd.json']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('EF_CLI_FILE_EXISTS');
    expect(h.hub.api.calls).toEqual([]);
    expect(await readFile(join(h.dir, 'd.json'), 'utf8')).toBe('keep');
    const forced = await h.cli(['device', 'enroll', 'press-07', '--out', 'd.json', '--force']);
    expect(forced.code).toBe(0);
    expect((await stat(join(h.dir, 'd.json'))).mode & 0o777).toBe(0o600);
  });

  it('usage errors: bad id, bad tags, missing --out', async () => {
    for (const args of [
      ['device', 'enroll', 'Bad Id', '--out', 'x.json'],
      ['device', 'enroll', 'ok-1', '--tags', 'site', '--out', 'x.json'],
      ['device', 'enroll', 'ok-1'],
    ]) {
      const r = await h.cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('EF_CLI_USAGE');
    }
  });

  it('a duplicate shows the hub code', async () => {
    await h.cli(['device', 'enroll', 'press-07', '--out', 'a.json']);
    const r = await h.cli(['device', 'enroll', 'press-07', '--out', 'b.json']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error EF_HUB_STORE_DUPLICATE_DEVICE:');
  });
});

describe('device list, show, tag, revoke', () => {
  beforeEach(async () => {
    await h.hub.api.enrollDevice('press-07', { site: 'a', hw: 'rpi5' });
    await h.hub.api.enrollDevice('press-08', { site: 'b', hw: 'rpi5' });
  });

  it('list prints a table; --select filters; --json prints the devices', async () => {
    const r = await h.cli(['device', 'list']);
    expect(r.out.split('\n')[0]).toMatch(/^ID\s+STATE\s+LAST SEEN\s+MODELS\s+TAGS$/);
    expect(r.out).toMatch(/press-07\s+offline\s+never\s+-\s+hw=rpi5,site=a/);
    const doc = await h.json<{ devices: { id: string }[] }>(
      'device',
      'list',
      '--select',
      'site=b,hw=rpi5',
    );
    expect(doc.devices.map((d) => d.id)).toEqual(['press-08']);
    expect(h.hub.api.calls.at(-1)).toBe('listDevices');
    const none = await h.cli(['device', 'list', '--select', 'site=zz']);
    expect(none.out).toBe('no devices\n');
  });

  it('show prints the device; an unknown one shows the hub code', async () => {
    const r = await h.cli(['device', 'show', 'press-07']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('device press-07 (offline)');
    expect(r.out).toContain('desired     none');
    const doc = await h.json<{ device: { id: string } }>('device', 'show', 'press-07');
    expect(doc.device.id).toBe('press-07');
    const missing = await h.cli(['device', 'show', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('EF_HUB_HTTP_UNKNOWN_DEVICE');
  });

  it('tag sets and removes tags', async () => {
    const r = await h.cli(['device', 'tag', 'press-07', 'ring=canary,site=', 'hw=jetson']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('press-07 tags hw=jetson,ring=canary\n');
    const bad = await h.cli(['device', 'tag', 'press-07', 'nokey']);
    expect(bad.code).toBe(2);
  });

  it('revoke', async () => {
    const r = await h.cli(['device', 'revoke', 'press-07']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^revoked press-07 at /);
    const doc = await h.json<{ device: { revokedAt: string | null } }>(
      'device',
      'revoke',
      'press-08',
    );
    expect(doc.device.revokedAt).not.toBeNull();
    expect((await h.cli(['device', 'revoke', 'zz'])).err).toContain('EF_HUB_STORE_UNKNOWN_DEVICE');
  });
});
