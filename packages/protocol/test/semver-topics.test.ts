import { describe, expect, it } from 'vitest';
import {
  compareSemver,
  deviceSubscriptions,
  hubSubscriptions,
  isSemver,
  parseDuration,
  parseSemver,
  parseTopic,
  topics,
} from '../src/index.js';

const expectCode = (fn: () => unknown, code: string) =>
  expect(fn).toThrow(expect.objectContaining({ code }));

describe('semver', () => {
  it('parses SemVer 2.0.0 with prerelease and build', () => {
    expect(parseSemver('1.2.3-rc.1+build.5')).toEqual({
      major: 1,
      minor: 2,
      patch: 3,
      prerelease: ['rc', 1],
      build: ['build', '5'],
    });
  });
  it('orders by the semver.org precedence example', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(compareSemver(ordered[i]!, ordered[j]!)).toBe(Math.sign(i - j));
      }
    }
    expect(compareSemver('1.0.0+a', '1.0.0+b')).toBe(0);
  });
  describe('rejects invalid versions with EF_PROTO_SEMVER', () => {
    it.each([
      '1',
      '1.2',
      'v1.2.3',
      '01.2.3',
      '1.2.3-',
      '1.2.3-01',
      '1.2.3+',
      ' 1.2.3',
      '99999999999999999.0.0',
      '',
    ])('rejects %j', (v) => {
      expect(isSemver(v)).toBe(false);
      expectCode(() => parseSemver(v), 'EF_PROTO_SEMVER');
    });
    it('rejects a non-string', () => expectCode(() => parseSemver(1), 'EF_PROTO_SEMVER'));
  });
});

describe('topics [P-TP-1]', () => {
  it('builds the v1 layout', () => {
    expect(topics.hubState()).toBe('ef/v1/hub/state');
    expect(topics.desired('press-07')).toBe('ef/v1/d/press-07/desired');
    expect(topics.status('a')).toBe('ef/v1/d/a/status');
    expect(topics.blobReq('a')).toBe('ef/v1/d/a/blob/req');
    expect(topics.blobRes('a')).toBe('ef/v1/d/a/blob/res');
    expect(topics.telemetry('a', 'drift')).toBe('ef/v1/d/a/tel/drift');
    expect(topics.ack('a')).toBe('ef/v1/d/a/ack');
    expect(topics.birth('a')).toBe('ef/v1/d/a/birth');
    expect(topics.death('a')).toBe('ef/v1/d/a/death');
    expect(hubSubscriptions).toContain('ef/v1/d/+/tel/+');
    expect(deviceSubscriptions('a')).toEqual([
      'ef/v1/hub/state',
      'ef/v1/d/a/desired',
      'ef/v1/d/a/blob/res',
      'ef/v1/d/a/ack',
    ]);
  });
  it('parses what it builds', () => {
    expect(parseTopic(topics.hubState())).toEqual({ kind: 'hub-state' });
    expect(parseTopic(topics.telemetry('p.1_x-2', 'health'))).toEqual({
      kind: 'telemetry',
      deviceId: 'p.1_x-2',
      stream: 'health',
    });
    for (const [kind, build] of [
      ['desired', topics.desired],
      ['status', topics.status],
      ['blob-req', topics.blobReq],
      ['blob-res', topics.blobRes],
      ['ack', topics.ack],
      ['birth', topics.birth],
      ['death', topics.death],
    ] as const) {
      expect(parseTopic(build('dev-1'))).toEqual({ kind, deviceId: 'dev-1' });
    }
  });
  describe('rejects bad topics and device ids', () => {
    it.each([
      'ef/v2/d/a/status',
      'ef/v1/d/a',
      'ef/v1/d/a/unknown',
      'ef/v1/d/a/tel/logs',
      'ef/v1/d/a/status/x',
      'ef/v1/hub',
      '',
    ])('rejects topic %j with EF_PROTO_TOPIC', (t) =>
      expectCode(() => parseTopic(t), 'EF_PROTO_TOPIC'),
    );
    it.each(['ef/v1/d/+/status', 'ef/v1/d/#/status', 'ef/v1/d/A/status', 'ef/v1/d//status'])(
      'rejects device segment of %j with EF_PROTO_DEVICE_ID',
      (t) => expectCode(() => parseTopic(t), 'EF_PROTO_DEVICE_ID'),
    );
    it.each(['', 'A', '-a', 'a/b', 'a+', 'a#', 'a'.repeat(65), 'a b'])(
      'refuses to build for device %j [P-TP-2]',
      (id) => expectCode(() => topics.status(id), 'EF_PROTO_DEVICE_ID'),
    );
    it('refuses an unknown stream', () =>
      expectCode(() => topics.telemetry('a', 'logs' as never), 'EF_PROTO_TOPIC'));
  });
});

describe('durations', () => {
  it('parses units', () => {
    expect(parseDuration('365d')).toBe(365 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
  });
  it.each(['', '10', 'd', '1.5h', '-1d', '10y', '999999999999999w', 5])(
    'rejects %j with EF_PROTO_DURATION',
    (d) => expectCode(() => parseDuration(d), 'EF_PROTO_DURATION'),
  );
});
