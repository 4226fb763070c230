// Property tests: every parser, fed anything, returns a value or throws a ProtocolError whose
// code is in PROTOCOL_ERROR_CODES; never another exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  decodeBlobResponse,
  encodeBlobResponse,
  messageParsers,
  parseDuration,
  parseSemver,
  parseTopic,
  PROTOCOL_ERROR_CODES,
  ProtocolError,
  verifyDesiredState,
  verifyKeyring,
} from '../src/index.js';
import {
  NOW,
  makeEnvelope,
  makeKeyring,
  makeKeys,
  makeManifest,
  makeMessages,
  sha,
} from './helpers/sample-messages.js';

const keys = makeKeys();
const keyring = makeKeyring(keys);
const envelope = makeEnvelope(keys);
const messages = makeMessages();

function assertCoded(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError) || !Object.hasOwn(PROTOCOL_ERROR_CODES, err.code)) {
      throw new Error(`not a coded ProtocolError: ${String(err)}`, { cause: err });
    }
  }
}

const targets: Record<string, (input: unknown) => unknown> = {
  ...messageParsers,
  verifyDesiredState: (i) =>
    verifyDesiredState(i, { deviceId: 'press-07', trustedKeyring: keyring, now: NOW }),
  verifyKeyring: (i) => verifyKeyring(i, { trustedRootKeys: [keys.rootA.publicKeyPem], now: NOW }),
  decodeBlobResponse: (i) => decodeBlobResponse(i as Uint8Array),
  parseTopic: (i) => parseTopic(i),
  parseSemver: (i) => parseSemver(i),
  parseDuration: (i) => parseDuration(i),
};

const valid: Record<string, unknown> = {
  desired: envelope,
  verifyDesiredState: envelope,
  keyring,
  verifyKeyring: keyring,
  manifest: makeManifest(),
  status: messages.status,
  telemetry: messages.telemetryDrift,
  ack: messages.ack,
  birth: messages.birth,
  death: messages.death,
  blobRequest: messages.blobRequest,
  hubState: messages.hubState,
  signature: envelope.signatures[0],
};

// Replaces one leaf (or a whole subtree) of a JSON value at a random path with another value.
function mutateAt(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const [head, ...rest] = path as [number, ...number[]];
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const copy = [...value];
    const i = head % copy.length;
    copy[i] = mutateAt(copy[i], rest, replacement);
    return copy;
  }
  const keysOf = Object.keys(value);
  if (keysOf.length === 0) return replacement;
  const key = keysOf[head % keysOf.length] as string;
  return { ...value, [key]: mutateAt((value as Record<string, unknown>)[key], rest, replacement) };
}

const nasty = fc.oneof(
  fc.constantFrom(
    null,
    true,
    -1,
    0,
    1e308,
    -1e308,
    2 ** 53,
    1.5,
    '',
    '__proto__',
    'a/b',
    '\ud800',
    [],
  ),
  fc.jsonValue(),
  fc.anything(),
  fc.constant(Object.create(null) as unknown),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true}}') as unknown),
);
const runs = { numRuns: 150 };

describe.each(Object.entries(targets))('%s never throws uncoded errors', (name, parse) => {
  it('on random strings', () =>
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => assertCoded(() => parse(s))),
      runs,
    ));
  it('on random bytes', () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) =>
        assertCoded(() => parse(Buffer.from(b))),
      ),
      runs,
    ));
  it('on random JSON values and text', () =>
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assertCoded(() => parse(v));
        assertCoded(() => parse(JSON.stringify(v) ?? 'null'));
      }),
      runs,
    ));
  it('on anything', () =>
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withBigInt: true,
          withDate: true,
          withMap: true,
          withTypedArray: true,
        }),
        (v) => assertCoded(() => parse(v)),
      ),
      runs,
    ));
  const base = valid[name];
  if (base !== undefined) {
    it('on mutated valid messages', () =>
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 6 }), nasty, (path, replacement) => {
          const mutated = mutateAt(base, path, replacement);
          assertCoded(() => parse(mutated));
          let text: string | undefined;
          try {
            text = JSON.stringify(mutated);
          } catch {
            text = undefined;
          }
          if (text !== undefined) assertCoded(() => parse(text));
        }),
        runs,
      ));
    it('accepts the unmutated message', () => expect(() => parse(base)).not.toThrow());
  }
});

describe('blob frames and canonical JSON under random input', () => {
  it('decodes mutated frames only to coded errors', () => {
    const bytes = Buffer.from('0123456789');
    const frame = encodeBlobResponse(
      { requestId: 'r', sha256: sha('x'), offset: 0, length: 10, total: 10 },
      bytes,
    );
    fc.assert(
      fc.property(
        fc.nat({ max: frame.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.nat({ max: frame.length }),
        (i, mask, cut) => {
          const copy = Buffer.from(frame);
          copy[i] = (copy[i] as number) ^ mask;
          assertCoded(() => decodeBlobResponse(copy));
          assertCoded(() => decodeBlobResponse(frame.subarray(0, cut)));
        },
      ),
      runs,
    );
  });

  it('canonicalize is stable under JSON round trips', () =>
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        let text: string;
        try {
          text = canonicalize(v);
        } catch (err) {
          // fc.jsonValue may contain lone surrogates; those must be coded refusals.
          assertCoded(() => {
            throw err;
          });
          return;
        }
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
      runs,
    ));
});
