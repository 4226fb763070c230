import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/http/byte-range.js';
import { statusForCode } from '../../src/http/error-status.js';
import { parseAuthorization } from '../../src/http/request-auth.js';
import { HTTP_ERROR_CODES } from '../../src/http/http-errors.js';

describe('statusForCode', () => {
  it.each([
    ['EF_HUB_STORE_UNKNOWN_DEVICE', 404],
    ['EF_HUB_STORE_DUPLICATE_RELEASE', 409],
    ['EF_HUB_STORE_DUPLICATE_DEVICE', 409],
    ['EF_HUB_STORE_ARGUMENT', 400],
    ['EF_HUB_STORE_IO', 500],
    ['EF_HUB_STORE_SCHEMA', 500],
    ['EF_HUB_STORE_DESIRED_VERSION', 500],
    ['EF_HUB_ROLLOUT_STORE_SCHEMA', 500],
    ['EF_HUB_ROLLOUT_STORE_DATA', 500],
    ['EF_HUB_ROLLOUT_SOAK', 400],
    ['EF_HUB_ROLLOUT_TRANSITION', 409],
    ['EF_HUB_ROLLOUT_UNKNOWN', 404],
    ['EF_HUB_RELEASE_INVALID', 422],
    ['EF_HUB_RELEASE_SIGNATURE', 422],
    ['EF_HUB_RELEASE_DUPLICATE', 409],
    ['EF_HUB_RELEASE_TOO_LARGE', 413],
    ['EF_HUB_BLOB_INVALID_SHA', 400],
    ['EF_HUB_BLOB_DIGEST', 500],
    ['EF_HUB_MQTT_PUBLISH', 503],
    ['EF_HUB_BROKER_CONNECT', 503],
    ['EF_HUB_CLOSED', 503],
    ['EF_HUB_STORE_CLOSED', 503],
    ['EF_BUNDLE_SIGNATURE', 422],
    ['EF_BUNDLE_DIGEST', 422],
    ['EF_BUNDLE_DUPLICATE', 422],
    ['EF_BUNDLE_MISSING_FILE', 422],
    ['EF_BUNDLE_TRUST', 422],
    ['EF_BUNDLE_IO', 500],
    ['EF_PROTO_SIGNATURE_INVALID', 422],
    ['EF_PROTO_KEY_UNKNOWN', 422],
    ['EF_PROTO_SCHEMA', 400],
    ['EF_PROTO_TOO_LARGE', 413],
    ['EF_HUB_RELEASE_UNKNOWN', 404],
    ['EF_HUB_UNKNOWN_RELEASE', 404],
    ['EF_HUB_RELEASE_TAMPERED', 422],
    ['EF_HUB_RELEASE_UNSIGNED', 422],
    ['EF_HUB_DEPLOY_ARGUMENT', 400],
    ['EF_HUB_RELEASE_NOT_FOUND', 404],
    ['EF_HUB_DESIRED_UNKNOWN_DEVICE', 404],
    ['EF_HUB_DESIRED_REVOKED_DEVICE', 409],
    ['EF_HUB_BROKER_LISTEN', 500],
    ['EF_HUB_UNKNOWNISH', 500],
    ['EF_SOMETHING_NEW', 500],
  ])('%s -> %i', (code, status) => {
    expect(statusForCode(code)).toBe(status);
  });

  it('every HTTP code has a 4xx or 5xx status and a sentence', () => {
    for (const [code, meaning] of Object.entries(HTTP_ERROR_CODES)) {
      expect(statusForCode(code)).toBeGreaterThanOrEqual(400);
      expect(meaning).toMatch(/^[A-Z].*\.$/);
    }
  });
});

describe('parseRange', () => {
  it.each([
    [undefined, { kind: 'full' }],
    ['bytes=0-0', { kind: 'partial', start: 0, end: 0 }],
    ['bytes=0-', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=-1', { kind: 'partial', start: 99, end: 99 }],
    ['bytes=-1000', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=50-1000', { kind: 'partial', start: 50, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=9-3', { kind: 'full' }],
    ['bytes=1-2,4-5', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['pages=1-2', { kind: 'full' }],
    ['bytes=99999999999999999999-', { kind: 'full' }],
  ])('%s of 100 bytes', (header, want) => {
    expect(parseRange(header, 100)).toEqual(want);
  });

  it('any range of an empty blob is unsatisfiable', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('parseAuthorization', () => {
  it('reads bearer tokens and basic id:secret (the secret may hold colons)', () => {
    expect(parseAuthorization('Bearer abc.def')).toEqual({ kind: 'bearer', token: 'abc.def' });
    expect(parseAuthorization('bearer abc')).toEqual({ kind: 'bearer', token: 'abc' });
    const basic = `Basic ${Buffer.from('dev-1:a:b').toString('base64')}`;
    expect(parseAuthorization(basic)).toEqual({ kind: 'basic', id: 'dev-1', secret: 'a:b' });
  });

  it('anything else is no credentials', () => {
    for (const h of [undefined, '', 'Bearer', 'Bearer a b', 'Basic Og==', 'x'.repeat(5000)]) {
      expect(parseAuthorization(h)).toEqual({ kind: 'none' });
    }
  });
});
