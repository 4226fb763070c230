import { afterEach, describe, expect, it } from 'vitest';
import { connectAgentLink } from '../../src/link/agent-link.js';
import type { ConnectedAgentLink } from '../../src/link/agent-link.js';
import type { OutboxStream } from '../../src/outbox/outbox-api.js';
import { Outbox } from '../../src/outbox/outbox.js';
import type { OutboxOptions } from '../../src/outbox/outbox.js';
import type { AgentDb } from '../../src/state/agent-db.js';
import { devicePassword, poll, startTestBroker } from '../link/test-broker.js';
import type { TestBroker } from '../link/test-broker.js';
import { FakeHub } from './fake-hub.js';
import type { Received } from './fake-hub.js';
import { BOOT_A, BOOT_B, DEVICE, TempDbs, event, inference, status } from './records.js';

/** Index carried by a test record of any stream (see records.ts). */
function indexOf(stream: OutboxStream, record: Record<string, unknown>): number {
  if (stream === 'events') return (record.details as { i: number }).i;
  if (stream === 'inference') return record.count as number;
  return (record.progress as { bytes: number }).bytes;
}

function indices(messages: Received[]): number[] {
  return messages.flatMap((m) => m.records.map((r) => indexOf(m.stream, r)));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('outbox sending', () => {
  const temp = new TempDbs();
  const brokers: TestBroker[] = [];
  const hubs: FakeHub[] = [];
  const links: ConnectedAgentLink[] = [];
  const outboxes: Outbox[] = [];

  afterEach(async () => {
    await Promise.all(outboxes.splice(0).map((o) => o.close()));
    await Promise.all(links.splice(0).map((l) => l.close()));
    await Promise.all(hubs.splice(0).map((h) => h.close()));
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    temp.cleanup();
  });

  async function broker(port = 0, refuseDevices = false): Promise<TestBroker> {
    const b = await startTestBroker(port, refuseDevices);
    brokers.push(b);
    return b;
  }

  async function hub(url: string): Promise<FakeHub> {
    const h = new FakeHub();
    hubs.push(h);
    await h.connect(url);
    return h;
  }

  function link(url: string, bootId = BOOT_A): ConnectedAgentLink {
    const l = connectAgentLink({
      brokerUrl: url,
      deviceId: DEVICE,
      password: devicePassword(DEVICE),
      bootId,
      agentVersion: '0.1.0',
      birth: () => ({ models: [] }),
      reconnectPeriodMs: 50,
      maxReconnectPeriodMs: 250,
    });
    links.push(l);
    return l;
  }

  function outbox(db: AgentDb, extra: Partial<OutboxOptions> = {}): Outbox {
    const o = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A, tickMs: 50, ...extra });
    outboxes.push(o);
    return o;
  }

  it('delivers appended records once each and deletes them when acked', async () => {
    const b = await broker();
    const h = await hub(b.url);
    const db = temp.open(temp.path());
    const o = outbox(db);
    o.start(link(b.url));
    for (let i = 0; i < 2500; i++) o.append('events', event(i));
    o.append('status', status(7));
    o.appendMany('inference', range(30).map(inference));
    await poll('outbox drained', () => o.stats().depth === 0);

    expect(indices(h.streamMessages('events'))).toEqual(range(2500));
    expect(indices(h.streamMessages('inference'))).toEqual(range(30));
    expect(h.streamMessages('status').map((m) => m.records[0])).toMatchObject([
      { device: DEVICE, bootId: BOOT_A, state: 'downloading', progress: { bytes: 7 } },
    ]);
    // [P-AK-1] one counter for the boot, shared by status and telemetry.
    const seqs = [...h.stored.values()].map((m) => m.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(range(seqs.length));
    expect(h.refused).toEqual([]);
    const left = db.prepare('SELECT COUNT(*) FROM outbox_batches').pluck().get();
    expect(left).toBe(0);
  });

  it('sends streams in priority order: status, events, health, inference, drift', async () => {
    const db = temp.open(temp.path());
    const o = outbox(db, { maxInFlight: 1 });
    o.appendMany('inference', range(3).map(inference));
    o.appendMany(
      'events',
      range(3).map((i) => event(i)),
    );
    o.append('status', status(1));
    o.append('status', status(2));
    const b = await broker();
    const h = await hub(b.url);
    o.start(link(b.url));
    await poll('outbox drained', () => o.stats().depth === 0);
    expect(h.arrivals.map((m) => m.stream)).toEqual(['status', 'status', 'events', 'inference']);
    expect(h.arrivals.map((m) => m.seq)).toEqual([0, 1, 2, 3]);
  });

  it('resends an unacked batch after the timeout with the same seq', async () => {
    const b = await broker();
    const h = await hub(b.url);
    h.acking = false;
    const db = temp.open(temp.path());
    const o = outbox(db, { ackTimeoutMs: 100, maxAckTimeoutMs: 200 });
    o.start(link(b.url));
    o.appendMany(
      'events',
      range(10).map((i) => event(i)),
    );
    await poll('three copies of the batch', () => h.arrivals.length >= 3);
    const copies = h.arrivals.slice(0, 3);
    expect(new Set(copies.map((m) => `${m.bootId}:${m.seq}`)).size).toBe(1);
    expect(copies.map((m) => indices([m]))).toEqual([range(10), range(10), range(10)]);
    expect(o.stats().depth).toBe(10);
    h.acking = true;
    await poll('acked at last', () => o.stats().depth === 0);
  });

  it('after a restart resends old batches under their old boot id and seq', async () => {
    const b = await broker();
    const h = await hub(b.url);
    h.acking = false;
    const path = temp.path();
    let db = temp.open(path);
    let o = outbox(db);
    let l = link(b.url);
    o.start(l);
    o.appendMany(
      'events',
      range(5).map((i) => event(i)),
    );
    o.append('status', status(1));
    await poll('first boot sent both', () => h.stored.size === 2);
    const first = [...h.stored.values()];
    await o.close();
    await l.close();
    db.close();

    // Unsent records of the first boot are batched under the new boot.
    db = temp.open(path);
    o = outbox(db, { bootId: BOOT_B });
    o.appendMany(
      'events',
      range(3).map((i) => event(100 + i)),
    );
    h.acking = true;
    l = link(b.url, BOOT_B);
    o.start(l);
    await poll('drained after restart', () => o.stats().depth === 0);
    const resent = h.arrivals.filter((m) => m.bootId === BOOT_A);
    expect(resent.length).toBeGreaterThanOrEqual(4);
    for (const m of first) {
      const again = resent.filter((r) => r.seq === m.seq);
      expect(again.length).toBeGreaterThanOrEqual(2);
      expect(again.map((r) => indices([r]))).toEqual(again.map(() => indices([m])));
    }
    const newBoot = h.streamMessages('events').filter((m) => m.bootId === BOOT_B);
    expect(newBoot.map((m) => m.seq)).toEqual([0]);
    expect(indices(newBoot)).toEqual([100, 101, 102]);
  });

  it('buffers while the broker is down and drains in order per stream when it returns', async () => {
    let b = await broker();
    const { port } = b;
    const h = await hub(b.url);
    const db = temp.open(temp.path());
    const o = outbox(db, { maxInFlight: 4 });
    const l = link(b.url);
    o.start(l);
    await poll('connected', () => l.connected);
    for (let i = 0; i < 300; i++) o.append('events', event(i));
    await b.close();
    brokers.splice(brokers.indexOf(b), 1);
    await poll('link saw the outage', () => !l.connected);
    for (let i = 300; i < 3000; i++) {
      o.append('events', event(i));
      if (i % 10 === 0) o.append('inference', inference(i / 10));
      if (i % 500 === 0) o.append('status', status(i));
    }
    expect(o.stats().depth).toBeGreaterThan(2700);

    // The hub subscribes before the device may connect, so no message goes to nobody.
    b = await broker(port, true);
    await h.connect(b.url);
    b.refuseDevices = false;
    await poll('drained after the outage', () => o.stats().depth === 0, 20_000);
    for (const stream of ['events', 'inference', 'status'] as const) {
      const messages = h.streamMessages(stream);
      const seqs = messages.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      const got = indices(messages);
      expect(new Set(got).size).toBe(got.length);
      const expected = {
        events: range(3000),
        inference: range(270).map((i) => i + 30),
        status: [500, 1000, 1500, 2000, 2500],
      };
      // Records sent just before the outage may be lost with the broker; the outbox resent them.
      expect(got.sort((x, y) => x - y)).toEqual(expected[stream]);
    }
  });

  it('ignores and counts garbage acks; acks of other boots delete nothing', async () => {
    const b = await broker();
    const h = await hub(b.url);
    h.acking = false;
    const db = temp.open(temp.path());
    const o = outbox(db);
    o.start(link(b.url));
    o.appendMany(
      'events',
      range(4).map((i) => event(i)),
    );
    await poll('sent', () => h.arrivals.length === 1);
    for (const junk of [
      'not json',
      '{"bootId":"x"}',
      '[]',
      Buffer.from([0xff, 0xfe]),
      '{"bootId":"aaaaaaaa","ranges":[[5,1]],"ts":"2025-01-01T00:00:00.000Z"}',
    ]) {
      await h.raw(DEVICE, junk);
    }
    await h.ack(DEVICE, BOOT_B, [[0, 100]]);
    await poll('five corrupt acks counted', () => o.stats().corruptAcks === 5);
    expect(o.stats().depth).toBe(4);
    await h.ack(DEVICE, BOOT_A, [[0, 0]]);
    await poll('a real ack still works', () => o.stats().depth === 0);
  });

  it('reports its own drops and expiries to the hub as events', async () => {
    let now = Date.now();
    const b = await broker();
    const h = await hub(b.url);
    const db = temp.open(temp.path());
    const o = outbox(db, {
      now: () => now,
      lossReportIntervalMs: 1,
      streams: { inference: { maxBytes: 5_000 }, drift: { ttlMs: 60_000 } },
    });
    for (let i = 0; i < 100; i++) o.append('inference', inference(i));
    o.append('drift', {
      model: 'pm',
      version: '1.0.0',
      windowStart: new Date(now).toISOString(),
      windowEnd: new Date(now).toISOString(),
      count: 1,
      features: [{ name: 'f', counts: [1, 0] }],
      output: { counts: [1] },
    });
    now += 120_000;
    o.start(link(b.url));
    const report = (code: string) =>
      h
        .streamMessages('events')
        .flatMap((m) => m.records)
        .find((r) => r.code === code);
    const dropped = await poll('drop report', () => report('EF_AGENT_OUTBOX_DROPPED'));
    const expired = await poll('expiry report', () => report('EF_AGENT_OUTBOX_EXPIRED'));
    const lost = o.stats().byStream.inference.dropped;
    expect(lost).toBeGreaterThan(0);
    expect(dropped).toMatchObject({
      level: 'warn',
      details: { byStream: { inference: lost }, total: lost },
    });
    expect(expired).toMatchObject({ details: { byStream: { drift: 1 }, total: 1 } });
    await poll('drained', () => o.stats().depth === 0);
  });
});
