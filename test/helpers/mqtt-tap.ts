/**
 * A TCP proxy between agents and a broker that reads the MQTT 3.1.1 packets going through it:
 * it records what clients publish (block requests, telemetry) and can hold back what the
 * broker delivers on chosen topics (blob responses, acks) until released. Fault tests use it to
 * stop a transfer at a known point or to keep acks from an agent, without reaching into the
 * hub's internals; bytes it does not hold pass through unchanged.
 */
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

/** One PUBLISH a client sent through the tap. */
export interface TappedPublish {
  /** Which client connection (1, 2, ... in accept order). */
  readonly connection: number;
  readonly topic: string;
  readonly payload: Buffer;
}

/** A running tap. */
export interface MqttTap {
  /** `mqtt://127.0.0.1:<port>`: give this to agents instead of the broker's URL. */
  readonly url: string;
  /** Every PUBLISH clients sent, in order. */
  readonly sent: TappedPublish[];
  /**
   * From now on, holds broker-to-client PUBLISHes whose topic `match`es, after letting `allow`
   * more of them through (default 0).
   */
  hold(match: (topic: string) => boolean, allow?: number): void;
  /** Stops holding and delivers what was held to clients still connected. */
  release(): void;
  /** PUBLISHes held now. */
  held(): number;
  close(): Promise<void>;
}

const PUBLISH = 3;

/** Splits a byte stream into whole MQTT packets. */
class PacketSplitter {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const packets: Buffer[] = [];
    for (;;) {
      let remaining = 0;
      let multiplier = 1;
      let pos = 1;
      let complete = false;
      while (pos < this.buffer.length && pos <= 4) {
        const byte = this.buffer[pos] as number;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        pos += 1;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || this.buffer.length < pos + remaining) return packets;
      packets.push(this.buffer.subarray(0, pos + remaining));
      this.buffer = this.buffer.subarray(pos + remaining);
    }
  }
}

/** Topic and payload of a PUBLISH packet, or undefined for any other packet. */
function readPublish(packet: Buffer): { topic: string; payload: Buffer } | undefined {
  const first = packet[0] as number;
  if (first >> 4 !== PUBLISH) return undefined;
  const qos = (first >> 1) & 3;
  let pos = 1;
  while (((packet[pos] as number) & 0x80) !== 0) pos += 1;
  pos += 1;
  const topicLength = packet.readUInt16BE(pos);
  const topic = packet.toString('utf8', pos + 2, pos + 2 + topicLength);
  pos += 2 + topicLength + (qos > 0 ? 2 : 0);
  return { topic, payload: packet.subarray(pos) };
}

/**
 * Starts a tap on a free loopback port in front of `brokerUrl` (`mqtt://host:port`).
 *
 * @example
 * const tap = await startMqttTap(hub.brokerUrl);
 * tap.hold((topic) => topic.endsWith('/blob/res'), 12);
 */
export async function startMqttTap(brokerUrl: string): Promise<MqttTap> {
  const target = new URL(brokerUrl);
  const sent: TappedPublish[] = [];
  const sockets = new Set<Socket>();
  let held: { client: Socket; packet: Buffer }[] = [];
  let match: ((topic: string) => boolean) | undefined;
  let allowance = 0;
  let connections = 0;

  const server = createServer((client) => {
    const connection = (connections += 1);
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const up = new PacketSplitter();
    const down = new PacketSplitter();
    client.on('data', (chunk: Buffer) => {
      for (const packet of up.push(chunk)) {
        const publish = readPublish(packet);
        if (publish) sent.push({ connection, ...publish, payload: Buffer.from(publish.payload) });
        upstream.write(packet);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const packet of down.push(chunk)) {
        const publish = readPublish(packet);
        if (publish && match?.(publish.topic)) {
          if (allowance > 0) allowance -= 1;
          else {
            held.push({ client, packet: Buffer.from(packet) });
            continue;
          }
        }
        client.write(packet);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('tap has no port');

  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    sent,
    hold(predicate, allow = 0) {
      match = predicate;
      allowance = allow;
    },
    release() {
      match = undefined;
      const go = held;
      held = [];
      for (const { client, packet } of go) if (!client.destroyed) client.write(packet);
    },
    held: () => held.length,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
