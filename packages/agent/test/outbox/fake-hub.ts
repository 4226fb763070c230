/**
 * A test-only stand-in for the hub's ingest: an MQTT client (the `_hub` principal) that parses
 * status and telemetry, keeps one copy per `(device, bootId, seq)` (the hub's dedupe,
 * [P-AK-1]) and acks what it stored ([P-AK-2]) while `acking` is true. Its data outlives its
 * connection, so a test can restart the broker and `connect` again.
 */
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import {
  hubSubscriptions,
  parseStatus,
  parseTelemetryBatch,
  parseTopic,
  topics,
} from '@edgefleet/protocol';
import type { SeqRange } from '@edgefleet/protocol';
import type { OutboxStream } from '../../src/outbox/outbox-api.js';
import { HUB_PASSWORD, HUB_USER } from '../link/test-broker.js';

/** One message as the hub received it. */
export interface Received {
  readonly device: string;
  readonly bootId: string;
  readonly seq: number;
  readonly stream: OutboxStream;
  /** Telemetry records, or the status itself. */
  readonly records: Record<string, unknown>[];
}

export class FakeHub {
  acking = true;
  /** Every arrival, duplicates included, in arrival order. */
  readonly arrivals: Received[] = [];
  /** First arrival of each `(bootId, seq)`, in arrival order. */
  readonly stored = new Map<string, Received>();
  /** Payloads the hub could not parse. */
  readonly refused: string[] = [];
  private client: MqttClient | undefined;

  /** Connects (or reconnects) to the broker at `url` and subscribes ([P-TP-4]). */
  async connect(url: string): Promise<void> {
    await this.client?.endAsync(true);
    const client = connect(url, {
      protocolVersion: 4,
      username: HUB_USER,
      password: HUB_PASSWORD,
      clientId: `fake-hub-${Math.random().toString(16).slice(2)}`,
      reconnectPeriod: 0,
    });
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    client.on('message', (topic, payload) => this.receive(topic, payload));
    await client.subscribeAsync([...hubSubscriptions], { qos: 1 });
  }

  private receive(topic: string, payload: Buffer): void {
    let got: Received;
    try {
      const parsed = parseTopic(topic);
      if (parsed.kind === 'status') {
        const s = parseStatus(payload);
        got = { device: s.device, bootId: s.bootId, seq: s.seq, stream: 'status', records: [s] };
      } else if (parsed.kind === 'telemetry') {
        const b = parseTelemetryBatch(payload);
        const records = b.records as Record<string, unknown>[];
        got = { device: b.device, bootId: b.bootId, seq: b.seq, stream: b.stream, records };
      } else {
        return;
      }
    } catch (err) {
      this.refused.push(err instanceof Error ? err.message : String(err));
      return;
    }
    this.arrivals.push(got);
    const key = `${got.bootId}:${got.seq}`;
    if (!this.stored.has(key)) this.stored.set(key, got);
    if (this.acking) void this.ack(got.device, got.bootId, [[got.seq, got.seq]]);
  }

  /** Publishes an ack of `ranges` of `bootId` to the device. */
  ack(device: string, bootId: string, ranges: SeqRange[]): Promise<unknown> {
    const ack = { bootId, ranges, ts: new Date().toISOString() };
    return this.raw(device, JSON.stringify(ack));
  }

  /** Publishes anything on the device's ack topic. */
  raw(device: string, payload: string | Buffer): Promise<unknown> {
    return (
      this.client?.publishAsync(topics.ack(device), payload, { qos: 1 }).catch(() => undefined) ??
      Promise.resolve()
    );
  }

  /** Stored messages of one stream, in arrival order. */
  streamMessages(stream: OutboxStream): Received[] {
    return [...this.stored.values()].filter((r) => r.stream === stream);
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }
}
