import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import { generateDeviceSecret, hashDeviceSecret } from '../../src/broker/device-secrets.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  MQTT_FRAMING_ALLOWANCE_BYTES,
} from '../../src/broker/embedded-broker.js';
import { writeMosquittoConfig } from '../../src/mosquitto/mosquitto-config.js';
import type { MosquittoConfigOptions } from '../../src/mosquitto/mosquitto-config.js';
import { lookupAccount } from '../../src/mosquitto/mosquitto-files.js';

describe('writeMosquittoConfig', () => {
  let dir: string;
  let base: MosquittoConfigOptions;
  const hashes: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) hashes.push(await hashDeviceSecret(generateDeviceSecret()));
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-mosquitto-config-'));
    base = {
      outDir: join(dir, 'out'),
      devices: [
        { id: 'press-07', secretHash: hashes[0] ?? '', revoked: false },
        { id: 'press-08', secretHash: hashes[1] ?? '', revoked: true },
        { id: 'pump.3', secretHash: hashes[2] ?? '', revoked: false },
      ],
      hub: { username: '_hub', secretHash: hashes[3] ?? '' },
    };
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const read = (name: string) => readFile(join(base.outDir, name), 'utf8');
  const expectCode = async (options: MosquittoConfigOptions, code: string) =>
    expect(writeMosquittoConfig(options)).rejects.toSatisfy((e: unknown) =>
      isEdgefleetError(e, code),
    );

  it('writes the three files and returns their absolute paths', async () => {
    const { files } = await writeMosquittoConfig(base);
    expect(files).toEqual(
      ['mosquitto.conf', 'password_file', 'acl_file'].map((f) => join(base.outDir, f)),
    );
    // Atomic writes leave no temporary files behind.
    expect((await readdir(base.outDir)).sort()).toEqual([
      'acl_file',
      'mosquitto.conf',
      'password_file',
    ]);
  });

  it('puts non-revoked devices and the hub user in password_file, hashes verbatim', async () => {
    await writeMosquittoConfig(base);
    expect(await read('password_file')).toBe(
      `press-07:${hashes[0]}\npump.3:${hashes[2]}\n_hub:${hashes[3]}\n`,
    );
  });

  it('writes pattern ACLs for devices and a readwrite section for the hub user', async () => {
    await writeMosquittoConfig(base);
    const rules = (await read('acl_file'))
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(rules).toEqual([
      'pattern readwrite ef/v1/d/%u/#',
      'pattern read ef/v1/hub/state',
      'user _hub',
      'topic readwrite ef/v1/#',
    ]);
  });

  it('writes a listener with security, raised queue limits and the packet limit', async () => {
    await writeMosquittoConfig({ ...base, port: 18830, host: '127.0.0.1' });
    const conf = await read('mosquitto.conf');
    const options = conf.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(options[0]).toBe('per_listener_settings false');
    expect(options).toEqual(
      expect.arrayContaining([
        'allow_anonymous false',
        `password_file ${join(base.outDir, 'password_file')}`,
        `acl_file ${join(base.outDir, 'acl_file')}`,
        'listener 18830 127.0.0.1',
        'max_inflight_messages 1000',
        'max_queued_messages 100000',
        `max_packet_size ${DEFAULT_MAX_PAYLOAD_BYTES + MQTT_FRAMING_ALLOWANCE_BYTES}`,
        'persistence false',
      ]),
    );
    expect(conf).toMatch(/40% of a\n# 50,000-message QoS 1/);
    expect(options).not.toContain('user mosquitto');
  });

  it('defaults to port 1883 on every interface; persistence and user when asked', async () => {
    await writeMosquittoConfig({
      ...base,
      persistenceDir: join(dir, 'data'),
      user: 'root',
    });
    const conf = await read('mosquitto.conf');
    expect(conf).toMatch(/^listener 1883$/m);
    expect(conf).toMatch(/^persistence true$/m);
    expect(conf).toContain(`persistence_location ${join(dir, 'data')}/\n`);
    expect(conf).toMatch(/^user root$/m);
    expect((await stat(join(dir, 'data'))).isDirectory()).toBe(true);
  });

  it('sets modes 0644/0640/0644 and gives password_file the mosquitto group when it can', async () => {
    await writeMosquittoConfig(base);
    const mode = async (f: string) => (await stat(join(base.outDir, f))).mode & 0o777;
    expect(await mode('mosquitto.conf')).toBe(0o644);
    expect(await mode('password_file')).toBe(0o640);
    expect(await mode('acl_file')).toBe(0o644);
    const account = await lookupAccount('mosquitto');
    if (account && process.getuid?.() === 0) {
      expect((await stat(join(base.outDir, 'password_file'))).gid).toBe(account.gid);
    }
  });

  it('replaces existing files and their content on regeneration', async () => {
    await writeMosquittoConfig(base);
    await writeFile(join(base.outDir, 'password_file'), 'stale:$7$junk\n');
    await writeMosquittoConfig({ ...base, devices: [] });
    expect(await read('password_file')).toBe(`_hub:${hashes[3]}\n`);
  });

  it('explains reloading, revocation and permissions in notes', async () => {
    const { notes } = await writeMosquittoConfig(base);
    const text = notes.join('\n');
    expect(text).toMatch(/kill -HUP <pid>/);
    expect(text).toMatch(/2 device\(s\) and the hub user "_hub"/);
    expect(text).toMatch(/1 revoked device\(s\) are left out/);
    expect(text).toMatch(/disconnects those no longer in it/);
  });

  it('warns when the output directory cannot be searched by the Mosquitto account', async () => {
    const { notes } = await writeMosquittoConfig({ ...base, outDir: dir });
    // mkdtemp makes 0700 directories.
    expect(notes.join('\n')).toMatch(/not searchable/);
  });

  it('refuses bad options with EF_HUB_MOSQUITTO_CONFIG and writes nothing', async () => {
    const device = base.devices[0] ?? { id: 'x', secretHash: '', revoked: false };
    const bad: MosquittoConfigOptions[] = [
      { ...base, devices: [{ ...device, id: 'Press/07' }] },
      { ...base, devices: [device, device] },
      { ...base, devices: [{ ...device, secretHash: 'scrypt$N=16384' }] },
      { ...base, devices: 'all' as unknown as [] },
      { ...base, devices: [null as unknown as typeof device] },
      { ...base, hub: { username: 'hub', secretHash: hashes[3] ?? '' } }, // could be a device id
      { ...base, hub: { username: '_hub:x', secretHash: hashes[3] ?? '' } },
      { ...base, hub: { username: '_hub', secretHash: 'plain' } },
      { ...base, hub: undefined as unknown as MosquittoConfigOptions['hub'] },
      { ...base, port: 0 },
      { ...base, port: 70000 },
      { ...base, port: 1.5 },
      { ...base, host: '127.0.0.1\nallow_anonymous true' },
      { ...base, outDir: `${dir}/out\nallow_anonymous true` },
      { ...base, outDir: '' },
      { ...base, outDir: ` ${dir}` },
      { ...base, persistenceDir: 'data\n' },
      { ...base, user: 'root\nallow_anonymous true' },
    ];
    for (const options of bad) await expectCode(options, 'EF_HUB_MOSQUITTO_CONFIG');
    await expectCode(null as unknown as MosquittoConfigOptions, 'EF_HUB_MOSQUITTO_CONFIG');
    await expect(stat(base.outDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports an unwritable output directory with EF_HUB_MOSQUITTO_WRITE', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    await expectCode({ ...base, outDir: join(file, 'sub') }, 'EF_HUB_MOSQUITTO_WRITE');
  });
});
