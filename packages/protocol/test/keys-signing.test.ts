import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  decodeBase64Strict,
  generateKeyPair,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  parseSignature,
  publicKeyToBase64,
  rawPublicKey,
  signBytes,
  signDocument,
  signEnvelope,
  verifyBytes,
  verifyDocumentSignature,
} from '../src/index.js';

const expectCode = (fn: () => unknown, code: string) =>
  expect(fn).toThrow(expect.objectContaining({ code }));

describe('keys', () => {
  const pair = generateKeyPair();

  it('generates PKCS#8 and SPKI PEM', () => {
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(loadPrivateKey(pair.privateKeyPem).asymmetricKeyType).toBe('ed25519');
  });

  it('loads a public key from PEM, raw base64, raw bytes and a private KeyObject alike', () => {
    const b64 = publicKeyToBase64(pair.publicKeyPem);
    expect(b64).toHaveLength(44);
    const raw = rawPublicKey(pair.publicKeyPem);
    expect(raw).toHaveLength(32);
    for (const input of [pair.publicKeyPem, b64, raw, loadPrivateKey(pair.privateKeyPem)]) {
      expect(rawPublicKey(loadPublicKey(input)).equals(raw)).toBe(true);
    }
  });

  it('key id is the lowercase hex sha256 of the raw public key [P-SG-2]', () => {
    const raw = rawPublicKey(pair.publicKeyPem);
    expect(keyIdOf(pair.publicKeyPem)).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  it('decodes only canonical base64', () => {
    expect(decodeBase64Strict('AAE=')?.toString('hex')).toBe('0001');
    expect(decodeBase64Strict('AAF=')).toBeUndefined();
    expect(decodeBase64Strict('AAE')).toBeUndefined();
    expect(decodeBase64Strict('AA E=')).toBeUndefined();
  });
});

describe('rejects keys that are not Ed25519', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pair = generateKeyPair();
  const cases: Array<[string, () => unknown]> = [
    [
      'an RSA public PEM',
      () => loadPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    ],
    ['an EC public KeyObject', () => loadPublicKey(ec.publicKey)],
    [
      'an RSA private PEM',
      () => loadPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ],
    ['a public PEM as private key', () => loadPrivateKey(pair.publicKeyPem)],
    [
      'garbage PEM',
      () => loadPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'),
    ],
    ['31 raw bytes', () => loadPublicKey(Buffer.alloc(31).toString('base64'))],
    [
      'non-canonical base64',
      () => loadPublicKey(`${Buffer.alloc(32).toString('base64').slice(0, 42)}B=`),
    ],
    ['an empty string', () => loadPublicKey('')],
    ['a number', () => loadPublicKey(42 as never)],
    ['null private key', () => loadPrivateKey(null as never)],
  ];
  it.each(cases)('rejects %s with EF_PROTO_KEY_INVALID', (_name, fn) =>
    expectCode(fn, 'EF_PROTO_KEY_INVALID'),
  );
});

describe('signing', () => {
  const pair = generateKeyPair();
  const other = generateKeyPair();
  const doc = { b: [1, 2, 3], a: 'manifest', n: 1.5 };

  it('signs and verifies a document over its canonical bytes [P-SG-3]', () => {
    const sig = signDocument(doc, pair.privateKeyPem);
    expect(sig.alg).toBe('ed25519');
    expect(sig.keyId).toBe(keyIdOf(pair.publicKeyPem));
    expect(parseSignature(JSON.stringify(sig))).toEqual(sig);
    // Same document with other key order and whitespace verifies too.
    verifyDocumentSignature(
      JSON.parse('{ "n": 1.50, "a": "manifest", "b": [1,2,3] }'),
      sig,
      pair.publicKeyPem,
    );
    verifyBytes(canonicalBytes(doc), sig, publicKeyToBase64(pair.publicKeyPem));
  });

  it('signs an envelope with several keys', () => {
    const env = signEnvelope(doc, [pair.privateKeyPem, other.privateKeyPem]);
    expect(env.signatures.map((s) => s.keyId)).toEqual([
      keyIdOf(pair.publicKeyPem),
      keyIdOf(other.publicKeyPem),
    ]);
  });

  it('signs raw bytes', () => {
    const sig = signBytes(Buffer.from('hello'), pair.privateKeyPem);
    verifyBytes(Buffer.from('hello'), sig, pair.publicKeyPem);
  });
});

describe('rejects bad signatures', () => {
  const pair = generateKeyPair();
  const other = generateKeyPair();
  const doc = { a: 1 };
  const sig = signDocument(doc, pair.privateKeyPem);

  it('rejects a changed document', () =>
    expectCode(
      () => verifyDocumentSignature({ a: 2 }, sig, pair.publicKeyPem),
      'EF_PROTO_SIGNATURE_INVALID',
    ));
  it('rejects the wrong key', () =>
    expectCode(
      () => verifyDocumentSignature(doc, sig, other.publicKeyPem),
      'EF_PROTO_SIGNATURE_INVALID',
    ));
  it('rejects a key id that does not match the key', () =>
    expectCode(
      () =>
        verifyDocumentSignature(
          doc,
          { ...sig, keyId: keyIdOf(other.publicKeyPem) },
          other.publicKeyPem,
        ),
      'EF_PROTO_SIGNATURE_INVALID',
    ));
  it('rejects a truncated signature', () =>
    expectCode(
      () => verifyDocumentSignature(doc, { ...sig, sig: sig.sig.slice(0, 40) }, pair.publicKeyPem),
      'EF_PROTO_SIGNATURE_INVALID',
    ));
  it('rejects a signature.json with another alg', () =>
    expectCode(() => parseSignature({ ...sig, alg: 'rsa' }), 'EF_PROTO_SCHEMA'));
  it('rejects signEnvelope without keys', () =>
    expectCode(() => signEnvelope(doc, []), 'EF_PROTO_ARGUMENT'));
  it('rejects signEnvelope with the same key twice', () =>
    expectCode(
      () => signEnvelope(doc, [pair.privateKeyPem, pair.privateKeyPem]),
      'EF_PROTO_ARGUMENT',
    ));
});
