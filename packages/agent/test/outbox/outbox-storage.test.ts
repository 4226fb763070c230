import { afterEach, describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import { Outbox } from '../../src/outbox/outbox.js';
import type { AgentDb } from '../../src/state/agent-db.js';
import { BOOT_A, BOOT_B, DEVICE, TempDbs, event, inference, status } from './records.js';

function rows(db: AgentDb, stream: string): Record<string, unknown>[] {
  return (
    db.prepare(`SELECT body FROM outbox_records_${stream} ORDER BY id`).pluck().all() as string[]
  ).map((b) => JSON.parse(b) as Record<string, unknown>);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isEdgefleetError(err) ? err.code : `uncoded: ${String(err)}`;
  }
  return undefined;
}

describe('outbox storage', () => {
  const temp = new TempDbs();
  afterEach(() => temp.cleanup());

  it('stores every append durably and finds it again after reopening', () => {
    const path = temp.path();
    const db = temp.open(path);
    const outbox = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A });
    for (let i = 0; i < 50; i++) outbox.append('events', event(i));
    outbox.appendMany(
      'inference',
      Array.from({ length: 20 }, (_, i) => inference(i)),
    );
    outbox.append('status', status(1));
    const before = outbox.stats();
    expect(before.depth).toBe(71);
    expect(before.byStream.events).toMatchObject({ depth: 50, unsent: 50, dropped: 0 });
    expect(before.byStream.inference.depth).toBe(20);
    db.close();

    const again = new Outbox(temp.open(path), { deviceId: DEVICE, bootId: BOOT_B });
    expect(again.stats()).toEqual(before);
  });

  it('fills in ts for a status and keeps device, boot and seq for itself', () => {
    const db = temp.open(temp.path());
    const outbox = new Outbox(db, {
      deviceId: DEVICE,
      bootId: BOOT_A,
      now: () => Date.UTC(2025, 0, 2),
    });
    outbox.append('status', { ...status(0), device: 'other', bootId: 'x', seq: 99 });
    const [stored] = rows(db, 'status');
    expect(stored).toMatchObject({ ts: '2025-01-02T00:00:00.000Z', state: 'downloading' });
    expect(stored).not.toHaveProperty('device');
    expect(stored).not.toHaveProperty('seq');
  });

  it('refuses records the hub would refuse, and stores none of a refused appendMany', () => {
    const db = temp.open(temp.path());
    const outbox = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A });
    expect(codeOf(() => outbox.append('events', { message: 'no ts' }))).toBe(
      'EF_AGENT_OUTBOX_RECORD',
    );
    expect(codeOf(() => outbox.append('status', { state: 'dancing' }))).toBe(
      'EF_AGENT_OUTBOX_RECORD',
    );
    expect(codeOf(() => outbox.append('events', event(1, 'x'.repeat(300_000))))).toBe(
      'EF_AGENT_OUTBOX_RECORD',
    );
    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(codeOf(() => outbox.append('events', { ...event(1), details: hostile }))).toBe(
      'EF_AGENT_OUTBOX_RECORD',
    );
    const cyclic: Record<string, unknown> = event(2);
    (cyclic.details as Record<string, unknown>).self = cyclic;
    expect(codeOf(() => outbox.append('events', cyclic))).toBe('EF_AGENT_OUTBOX_RECORD');
    expect(codeOf(() => outbox.append('bogus' as 'events', event(1)))).toBe(
      'EF_AGENT_OUTBOX_ARGUMENT',
    );
    expect(codeOf(() => outbox.append('events', null as never))).toBe('EF_AGENT_OUTBOX_ARGUMENT');
    expect(codeOf(() => outbox.appendMany('events', [event(1), { bad: true }]))).toBe(
      'EF_AGENT_OUTBOX_RECORD',
    );
    expect(outbox.stats().depth).toBe(0);
    expect(
      codeOf(
        () =>
          new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A, streams: { status: {} } as never }),
      ),
    ).toBe('EF_AGENT_OUTBOX_ARGUMENT');
    expect(codeOf(() => new Outbox(db, { deviceId: 'Bad/Id', bootId: BOOT_A }))).toBe(
      'EF_AGENT_OUTBOX_ARGUMENT',
    );
  });

  it('drops the oldest telemetry over a cap, counts it persistently, never drops status', () => {
    const path = temp.path();
    const db = temp.open(path);
    const streams = { inference: { maxBytes: 20_000 }, events: { maxBytes: 1_000 } };
    const outbox = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A, streams });
    for (let i = 0; i < 500; i++) outbox.append('inference', inference(i));
    for (let i = 0; i < 300; i++) outbox.append('status', status(i));
    const s = outbox.stats();
    expect(s.byStream.inference.bytes).toBeLessThanOrEqual(20_000);
    expect(s.byStream.inference.dropped).toBeGreaterThan(0);
    expect(s.byStream.inference.dropped + s.byStream.inference.depth).toBe(500);
    // What is left is the newest, without a gap.
    const counts = rows(db, 'inference').map((r) => r.count as number);
    expect(counts[counts.length - 1]).toBe(499);
    expect(counts).toEqual(counts.map((_, k) => 500 - counts.length + k));
    expect(s.byStream.status).toMatchObject({ depth: 300, dropped: 0, expired: 0 });
    db.close();

    const again = new Outbox(temp.open(path), { deviceId: DEVICE, bootId: BOOT_B, streams });
    expect(again.stats().byStream.inference.dropped).toBe(s.byStream.inference.dropped);
  });

  it('expires telemetry past its TTL and never status', () => {
    let now = Date.UTC(2025, 0, 1);
    const db = temp.open(temp.path());
    const outbox = new Outbox(db, {
      deviceId: DEVICE,
      bootId: BOOT_A,
      now: () => now,
      streams: { inference: { ttlMs: 60_000 } },
    });
    for (let i = 0; i < 10; i++) outbox.append('inference', inference(i));
    outbox.append('status', status(0));
    now += 61_000;
    outbox.append('inference', inference(10));
    outbox.expireOld();
    const s = outbox.stats();
    expect(s.byStream.inference).toMatchObject({ depth: 1, expired: 10 });
    expect(s.byStream.status.depth).toBe(1);
    expect(s.expired).toBe(10);
  });

  it('reports a full disk as EF_AGENT_OUTBOX_FULL and keeps what it stored', () => {
    const path = temp.path();
    const db = temp.open(path);
    const outbox = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A });
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 8}`);
    let stored = 0;
    let failure: unknown;
    for (let i = 0; i < 10_000 && failure === undefined; i++) {
      try {
        outbox.append('events', event(i, 'y'.repeat(500)));
        stored += 1;
      } catch (err) {
        failure = err;
      }
    }
    expect(isEdgefleetError(failure, 'EF_AGENT_OUTBOX_FULL')).toBe(true);
    expect(stored).toBeGreaterThan(0);
    expect(outbox.stats().depth).toBe(stored);
    db.close();
    const again = new Outbox(temp.open(path), { deviceId: DEVICE, bootId: BOOT_B });
    expect(again.stats().depth).toBe(stored);
  });

  it('refuses appends after close, and on a closed database', async () => {
    const db = temp.open(temp.path());
    const outbox = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A });
    const other = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_B });
    await outbox.close();
    expect(codeOf(() => outbox.append('events', event(1)))).toBe('EF_AGENT_OUTBOX_CLOSED');
    db.close();
    expect(codeOf(() => other.append('events', event(1)))).toBe('EF_AGENT_OUTBOX_CLOSED');
  });
});
