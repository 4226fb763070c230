import { describe, expect, it } from 'vitest';
import {
  createKeyring,
  generateKeyPair,
  parseDeviceProvisioning,
  publicKeyToBase64,
} from '../src/index.js';

function valid() {
  const root = generateKeyPair();
  const deploy = generateKeyPair();
  return {
    deviceId: 'press-7',
    brokerUrl: 'mqtt://hub.plant-a.example:1883',
    username: 'press-7',
    password: 'a'.repeat(43),
    rootPublicKeys: [publicKeyToBase64(root.publicKeyPem)],
    keyring: createKeyring({
      rootPrivateKey: root.privateKeyPem,
      release: [generateKeyPair().publicKeyPem],
      deploy: [deploy.publicKeyPem],
      expires: new Date(Date.now() + 86_400_000),
    }),
    hubUrl: 'http://hub.plant-a.example:8080',
  };
}

describe('parseDeviceProvisioning', () => {
  it('accepts what enrolment writes, keeps unknown fields', () => {
    const doc = { ...valid(), extra: 1 };
    const parsed = parseDeviceProvisioning(JSON.stringify(doc));
    expect(parsed.deviceId).toBe('press-7');
    expect((parsed as Record<string, unknown>).extra).toBe(1);
  });

  it('accepts a document without keyring and hubUrl', () => {
    const { keyring: _k, hubUrl: _h, ...rest } = valid();
    expect(parseDeviceProvisioning(rest).brokerUrl).toBe('mqtt://hub.plant-a.example:1883');
  });

  describe('rejects', () => {
    const cases: [string, (d: Record<string, unknown>) => void, string][] = [
      ['a device id with a slash', (d) => (d.deviceId = 'a/b'), 'deviceId'],
      ['an http broker url', (d) => (d.brokerUrl = 'http://x:1883'), 'brokerUrl'],
      ['a short password', (d) => (d.password = 'short'), 'password'],
      ['no root key', (d) => (d.rootPublicKeys = []), 'rootPublicKeys'],
      ['a root key that is not 32 bytes', (d) => (d.rootPublicKeys = ['AAAA']), 'rootPublicKeys'],
      ['a keyring that is not signed', (d) => (d.keyring = { version: 1 }), 'keyring'],
      ['a ftp hub url', (d) => (d.hubUrl = 'ftp://x'), 'hubUrl'],
    ];
    it.each(cases)('%s', (_name, mutate, path) => {
      const doc: Record<string, unknown> = valid();
      mutate(doc);
      expect(() => parseDeviceProvisioning(doc)).toThrow(
        expect.objectContaining({
          code: 'EF_PROTO_SCHEMA',
          message: expect.stringContaining(path),
        }),
      );
    });

    it('garbage JSON', () => {
      expect(() => parseDeviceProvisioning('{not json')).toThrow(
        expect.objectContaining({ code: 'EF_PROTO_JSON' }),
      );
    });
  });
});
