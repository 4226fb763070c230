/**
 * The hub's embedded MQTT 3.1.1 broker (aedes) with per-device security (issue 5, "Broker
 * security"): every connection authenticates, then every PUBLISH and SUBSCRIBE goes through the
 * ACL of `broker-acl.ts`.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { AuthenticateError, Client } from 'aedes';
import { isDeviceId } from '@edgefleet/protocol';
import { canPublish, canSubscribe } from './broker-acl.js';
import type { BrokerPrincipal } from './broker-acl.js';
import { BrokerError } from './broker-errors.js';

/** Default largest PUBLISH payload: 256 KiB (64 KiB blob chunks fit with room to spare). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
/** Allowance for the fixed header, topic and packet id around a payload. */
export const MQTT_FRAMING_ALLOWANCE_BYTES = 4096;

/** Decides who is connecting; undefined (or a rejection) refuses the connection. */
export type BrokerAuthenticate = (
  username: string,
  password: string,
) => Promise<BrokerPrincipal | undefined>;

export interface EmbeddedBrokerOptions {
  /** TCP port; 0 picks any free port. */
  readonly port: number;
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  readonly authenticate: BrokerAuthenticate;
  /** Largest PUBLISH payload accepted; default {@link DEFAULT_MAX_PAYLOAD_BYTES}. */
  readonly maxPayloadBytes?: number;
}

export interface EmbeddedBroker {
  /** The port actually bound. */
  readonly port: number;
  /** `mqtt://<host>:<port>`, for clients. */
  readonly url: string;
  /**
   * Disconnects every connection of device `id`; call it after revoking the device, so that
   * `authenticate` refuses it from then on (a connection being authenticated meanwhile is
   * refused too). The device's will, if any, is still published. Resolves to how many.
   */
  disconnectDevice(id: string): Promise<number>;
  /** Closes every client and the server. */
  close(): Promise<void>;
}

const NOT_AUTHORIZED = 5;

function authError(message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: NOT_AUTHORIZED }) as AuthenticateError;
}

/**
 * Tracks the MQTT fixed headers on a connection so that a packet whose declared remaining
 * length exceeds `limit` is detected from its first bytes, before the packet is buffered.
 */
export class MqttFrameSizeGuard {
  private state: 'type' | 'length' | 'body' = 'type';
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(private readonly limit: number) {}

  /** Feeds received bytes; false when a packet is too large or its length is malformed. */
  feed(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        this.state = 'length';
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        i += 1;
      } else if (this.state === 'length') {
        const byte = chunk[i++] ?? 0;
        this.remaining += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes += 1;
        if (this.remaining > this.limit) return false;
        if ((byte & 0x80) !== 0) {
          if (this.lengthBytes >= 4) return false;
        } else {
          this.state = this.remaining === 0 ? 'type' : 'body';
        }
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    return true;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(
          new BrokerError(
            'EF_HUB_BROKER_PORT_IN_USE',
            `port ${port} on ${host} is already in use: start the hub with --broker mqtt://<host>:<port> to use an external broker, or pick another --mqtt-port`,
            { port, host },
            { cause: err },
          ),
        );
      } else {
        reject(
          new BrokerError(
            'EF_HUB_BROKER_LISTEN',
            `cannot listen on ${host}:${port}: ${err.message}`,
            { port, host, errno: err.code },
            { cause: err },
          ),
        );
      }
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the embedded broker on `host:port` (port 0 = any free port). Throws
 * `EF_HUB_BROKER_PORT_IN_USE` when the port is taken, `EF_HUB_BROKER_OPTIONS` for bad options.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new BrokerError('EF_HUB_BROKER_OPTIONS', `port ${String(options.port)} is not 0..65535`);
  }
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 1) {
    throw new BrokerError('EF_HUB_BROKER_OPTIONS', 'maxPayloadBytes must be a positive integer');
  }
  const frameLimit = maxPayloadBytes + MQTT_FRAMING_ALLOWANCE_BYTES;

  const principals = new WeakMap<Client, BrokerPrincipal>();
  const deviceClients = new Map<string, Set<Client>>();
  const sockets = new Set<Socket>();
  /** Bumped by disconnectDevice(id), so authentications that raced with it fail. */
  const revocations = new Map<string, number>();

  const forget = (client: Client) => {
    const principal = principals.get(client);
    if (principal?.kind !== 'device') return;
    const set = deviceClients.get(principal.deviceId);
    set?.delete(client);
    if (set?.size === 0) deviceClients.delete(principal.deviceId);
  };

  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const user = username ?? '';
      const secret = password === undefined ? '' : password.toString('utf8');
      // A disconnectDevice() while this check is in flight must win over its result.
      const epoch = revocations.get(user) ?? 0;
      options.authenticate(user, secret).then(
        (principal) => {
          if (principal === undefined) return done(authError('not authorized'), false);
          if (client.closed) return done(authError('connection closed'), false);
          if ((revocations.get(user) ?? 0) !== epoch) {
            return done(authError('device disconnected while authenticating'), false);
          }
          if (principal.kind === 'device') {
            // [P-TP-2] the MQTT username is the device id; the ACL relies on it.
            if (!isDeviceId(principal.deviceId) || principal.deviceId !== user) {
              return done(authError('username is not the device id'), false);
            }
            let set = deviceClients.get(principal.deviceId);
            if (!set) deviceClients.set(principal.deviceId, (set = new Set()));
            set.add(client);
          }
          principals.set(client, principal);
          return done(null, true);
        },
        () => done(authError('authentication failed'), false),
      );
    },
    authorizePublish: (client, packet, callback) => {
      // Publishes from the broker itself (client null) are internal; aedes does not call us for them.
      const principal = client ? principals.get(client) : undefined;
      if (!principal) return callback(new Error('not authenticated'));
      const size = Buffer.isBuffer(packet.payload)
        ? packet.payload.length
        : Buffer.byteLength(packet.payload);
      if (size > maxPayloadBytes) return callback(new Error('payload too large'));
      const decision = canPublish(principal, packet.topic);
      // A failing authorizePublish makes aedes disconnect the client (MQTT 3.1.1 has no PUBACK reason).
      return callback(decision.allowed ? null : new Error(decision.reason));
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const principal = principals.get(client);
      if (!principal || !canSubscribe(principal, subscription.topic).allowed) {
        // A null grant: the client receives SUBACK 0x80 for this filter and stays connected.
        return callback(null, null);
      }
      return callback(null, subscription);
    },
  });

  broker.on('clientDisconnect', forget);
  broker.on('clientError', () => {
    // Bad input from one client never affects the broker; aedes closes that client.
  });
  broker.on('connectionError', () => {
    // Same for errors before CONNECT completed (garbage bytes, bad protocol).
  });

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const client = broker.handle(socket);
    const guard = new MqttFrameSizeGuard(frameLimit);
    // aedes reads in paused mode (`readable` + read()); with a `readable` listener present a
    // `data` listener sees each chunk as aedes reads it, without switching to flowing mode.
    socket.on('data', (chunk: Buffer) => {
      if (!guard.feed(chunk)) {
        socket.destroy();
        client.close();
      }
    });
  });

  let port: number;
  try {
    port = await listen(server, options.port, host);
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `mqtt://${urlHost}:${port}`,
    disconnectDevice(id: string): Promise<number> {
      revocations.set(id, (revocations.get(id) ?? 0) + 1);
      const set = deviceClients.get(id);
      if (!set) return Promise.resolve(0);
      const clients = [...set];
      deviceClients.delete(id);
      return Promise.all(
        clients.map((c) => new Promise<void>((resolve) => c.close(() => resolve()))),
      ).then(() => clients.length);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
