import { describe, expect, it } from 'vitest';
import {
  canTransition,
  canTransitionRollout,
  canTransitionWave,
  decodeBlobResponse,
  DEVICE_DEPLOYMENT_STATES,
  encodeBlobResponse,
  mergeRanges,
  parseAck,
  parseBirth,
  parseBlobRequest,
  parseDeath,
  parseHubState,
  parseStatus,
  parseTelemetryBatch,
  rangesContain,
  rangesFromSeqs,
} from '../src/index.js';
import { makeMessages, sha } from './helpers/sample-messages.js';

const m = makeMessages();
const expectCode = (fn: () => unknown, code: string) =>
  expect(fn).toThrow(expect.objectContaining({ code }));
const wire = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('message round trips', () => {
  it.each([
    ['status', parseStatus, m.status],
    ['health telemetry', parseTelemetryBatch, m.telemetryHealth],
    ['drift telemetry', parseTelemetryBatch, m.telemetryDrift],
    ['inference telemetry', parseTelemetryBatch, m.telemetryInference],
    ['event telemetry', parseTelemetryBatch, m.telemetryEvents],
    ['ack', parseAck, m.ack],
    ['birth', parseBirth, m.birth],
    ['death', parseDeath, m.death],
    ['hub state', parseHubState, m.hubState],
    ['blob request', parseBlobRequest, m.blobRequest],
  ] as Array<[string, (i: unknown) => unknown, unknown]>)(
    '%s survives bytes, text and values',
    (_n, parse, msg) => {
      expect(parse(wire(msg))).toEqual(msg);
      expect(parse(JSON.stringify(msg))).toEqual(msg);
      expect(parse(msg)).toEqual(msg);
    },
  );

  it('keeps unknown fields of device reports for newer agents [P-MS-2]', () => {
    expect(parseStatus({ ...m.status, newField: 1 })).toMatchObject({ newField: 1 });
  });
});

describe('rejects malformed messages', () => {
  it('rejects invalid JSON with EF_PROTO_JSON', () =>
    expectCode(() => parseStatus('{"device":'), 'EF_PROTO_JSON'));
  it('rejects invalid UTF-8 with EF_PROTO_JSON', () =>
    expectCode(() => parseAck(Buffer.from([0x7b, 0xff, 0x7d])), 'EF_PROTO_JSON'));
  it('rejects a message over the cap with EF_PROTO_TOO_LARGE [P-MS-1]', () =>
    expectCode(() => parseStatus(Buffer.alloc(256 * 1024 + 1, 0x20)), 'EF_PROTO_TOO_LARGE'));
  it('rejects a __proto__ key with EF_PROTO_SCHEMA [P-MS-3]', () =>
    expectCode(
      () => parseHubState('{"state":"online","ts":"2025-01-01T00:00:00Z","__proto__":{"x":1}}'),
      'EF_PROTO_SCHEMA',
    ));
  it('names the path of a schema error', () => {
    const bad = structuredClone(m.telemetryHealth);
    (bad.records[0]!.models[0]!.latencyMs as Record<string, unknown>).p95 = 'fast';
    expect(() => parseTelemetryBatch(bad)).toThrow(
      /telemetry batch: records\[0\]\.models\[0\]\.latencyMs\.p95/,
    );
  });
  it('rejects a huge sequence number', () =>
    expectCode(() => parseStatus({ ...m.status, seq: 1e300 }), 'EF_PROTO_SCHEMA'));
  it('rejects a non-UTC timestamp', () =>
    expectCode(
      () => parseDeath({ ...m.death, ts: '2025-01-01T00:00:00+02:00' }),
      'EF_PROTO_SCHEMA',
    ));
  it('rejects an unknown telemetry stream', () =>
    expectCode(
      () => parseTelemetryBatch({ ...m.telemetryEvents, stream: 'logs' }),
      'EF_PROTO_SCHEMA',
    ));
  it('rejects an empty batch', () =>
    expectCode(
      () => parseTelemetryBatch({ ...m.telemetryEvents, records: [] }),
      'EF_PROTO_SCHEMA',
    ));
  it('rejects an unknown state', () =>
    expectCode(() => parseStatus({ ...m.status, state: 'done' }), 'EF_PROTO_SCHEMA'));
  it('rejects progress beyond total', () =>
    expectCode(
      () => parseStatus({ ...m.status, progress: { bytes: 2, total: 1 } }),
      'EF_PROTO_SCHEMA',
    ));
  it('rejects an inverted ack range', () =>
    expectCode(() => parseAck({ ...m.ack, ranges: [[5, 4]] }), 'EF_PROTO_SCHEMA'));
  it('rejects a blob request over 1 MiB', () =>
    expectCode(
      () => parseBlobRequest({ ...m.blobRequest, length: 1024 * 1024 + 1 }),
      'EF_PROTO_SCHEMA',
    ));
});

describe('acks [P-AK-2]', () => {
  it('merges overlapping and adjacent ranges', () => {
    expect(
      mergeRanges([
        [5, 7],
        [1, 3],
        [4, 4],
        [10, 12],
        [11, 11],
      ]),
    ).toEqual([
      [1, 7],
      [10, 12],
    ]);
    expect(rangesFromSeqs([3, 1, 2, 7])).toEqual([
      [1, 3],
      [7, 7],
    ]);
  });
  it('tests containment', () => {
    expect(
      rangesContain(
        [
          [1, 3],
          [7, 9],
        ],
        8,
      ),
    ).toBe(true);
    expect(
      rangesContain(
        [
          [1, 3],
          [7, 9],
        ],
        5,
      ),
    ).toBe(false);
  });
  it('rejects an invalid range', () =>
    expectCode(() => mergeRanges([[3, 1]]), 'EF_PROTO_ARGUMENT'));
});

describe('blob response framing [P-BL-2]', () => {
  const bytes = Buffer.from('hello world');
  const header = {
    requestId: 'r-1',
    sha256: sha('b'),
    offset: 5,
    length: bytes.length,
    total: 100,
  };

  it('round-trips header and bytes', () => {
    const frame = encodeBlobResponse(header, bytes);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4 - bytes.length);
    const out = decodeBlobResponse(frame);
    expect(out.header).toEqual(header);
    expect(out.bytes.equals(bytes)).toBe(true);
  });

  it('carries an error with no bytes', () => {
    const frame = encodeBlobResponse(
      { ...header, length: 0, error: { code: 'EF_HUB_BLOB_UNKNOWN', message: 'no such blob' } },
      Buffer.alloc(0),
    );
    expect(decodeBlobResponse(frame).header.error?.code).toBe('EF_HUB_BLOB_UNKNOWN');
  });

  describe('rejects bad frames', () => {
    const frame = encodeBlobResponse(header, bytes);
    it('rejects a frame shorter than the prefix', () =>
      expectCode(() => decodeBlobResponse(frame.subarray(0, 3)), 'EF_PROTO_FRAME'));
    it('rejects a truncated header', () =>
      expectCode(() => decodeBlobResponse(frame.subarray(0, 10)), 'EF_PROTO_FRAME'));
    it('rejects truncated bytes', () =>
      expectCode(() => decodeBlobResponse(frame.subarray(0, frame.length - 1)), 'EF_PROTO_FRAME'));
    it('rejects extra bytes', () =>
      expectCode(
        () => decodeBlobResponse(Buffer.concat([frame, Buffer.from('x')])),
        'EF_PROTO_FRAME',
      ));
    it('rejects a header length that lies', () => {
      const lie = Buffer.from(frame);
      lie.writeUInt32BE(0xffffffff, 0);
      expectCode(() => decodeBlobResponse(lie), 'EF_PROTO_FRAME');
    });
    it('rejects a header that is not JSON', () => {
      const f = Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{x')]);
      expectCode(() => decodeBlobResponse(f), 'EF_PROTO_JSON');
    });
    it('rejects a range past total', () =>
      expectCode(() => encodeBlobResponse({ ...header, offset: 95 }, bytes), 'EF_PROTO_SCHEMA'));
    it('rejects encoding bytes that disagree with the header', () =>
      expectCode(() => encodeBlobResponse(header, Buffer.alloc(1)), 'EF_PROTO_ARGUMENT'));
  });
});

describe('deployment state machine [P-ST-2]', () => {
  it('follows the happy path', () => {
    const path = [
      'pending',
      'notified',
      'downloading',
      'downloading',
      'verified',
      'installed',
      'healthy',
    ] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });
  it('refuses going backwards and leaving rolled-back', () => {
    expect(canTransition('healthy', 'downloading')).toBe(false);
    expect(canTransition('verified', 'pending')).toBe(false);
    for (const s of DEVICE_DEPLOYMENT_STATES) expect(canTransition('rolled-back', s)).toBe(false);
    expect(canTransition('toString' as never, 'failed')).toBe(false);
  });
  it('covers rollouts and waves', () => {
    expect(canTransitionRollout('running', 'paused')).toBe(true);
    expect(canTransitionRollout('paused', 'running')).toBe(true);
    expect(canTransitionRollout('completed', 'running')).toBe(false);
    expect(canTransitionWave('running', 'soaking')).toBe(true);
    expect(canTransitionWave('passed', 'running')).toBe(false);
  });
});
