/**
 * The hub's broker side: the embedded broker (devices authenticate against the store) or an
 * external one the hub only connects to. Either way the result says where the hub connects,
 * what devices are told, and how a revoked device is cut off.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { startEmbeddedBroker } from '../broker/embedded-broker.js';
import type { HubStore } from '../storage/hub-store.js';
import { createBrokerAuth } from './device-auth.js';
import type { ResolvedHubOptions } from './hub-options.js';
import { isPortInUse, portInUse } from './port-in-use.js';

/** The broker as the rest of the hub sees it. */
export interface HubBroker {
  /** Where the hub's own client connects. */
  url: string;
  /** What `device.json` carries. */
  publicUrl: string;
  username: string | undefined;
  password: string | undefined;
  embedded: boolean;
  disconnectDevice(deviceId: string): Promise<void>;
  close(): Promise<void>;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** A host name clients can reach: the machine's name for a wildcard listen address. */
export function reachableHost(host: string): string {
  const name = WILDCARD_HOSTS.has(host) ? hostname() : host;
  return name.includes(':') ? `[${name}]` : name;
}

/**
 * Starts the embedded broker, or describes the external one. Throws `EF_HUB_PORT_IN_USE`.
 *
 * @example
 * const broker = await startHubBroker(options, store, logger);
 */
export async function startHubBroker(
  options: ResolvedHubOptions,
  store: HubStore,
  logger: Logger,
): Promise<HubBroker> {
  if (options.brokerUrl !== undefined) {
    const onRevoke = options.onRevoke;
    return {
      url: options.brokerUrl,
      publicUrl: options.publicBrokerUrl ?? options.brokerUrl,
      username: options.brokerUsername,
      password: options.brokerPassword,
      embedded: false,
      async disconnectDevice(deviceId) {
        if (onRevoke === undefined) {
          logger.warn(
            { deviceId },
            'external broker: no onRevoke hook, regenerate the broker password file (edgefleet hub mosquitto-config) and reload it',
          );
          return;
        }
        await onRevoke(deviceId);
      },
      close: async () => {},
    };
  }
  const auth = createBrokerAuth(store);
  let broker;
  try {
    broker = await startEmbeddedBroker({
      port: options.mqttPort,
      host: options.host,
      authenticate: auth.authenticate,
      maxPayloadBytes: options.maxPayloadBytes,
    });
  } catch (err) {
    if (isPortInUse(err)) throw portInUse('MQTT', options.host, options.mqttPort, err);
    throw err;
  }
  const local = WILDCARD_HOSTS.has(options.host) ? '127.0.0.1' : reachableHost(options.host);
  logger.info({ port: broker.port, host: options.host }, 'embedded MQTT broker listening');
  return {
    url: `mqtt://${local}:${broker.port}`,
    publicUrl: options.publicBrokerUrl ?? `mqtt://${reachableHost(options.host)}:${broker.port}`,
    username: auth.hubUsername,
    password: auth.hubPassword,
    embedded: true,
    async disconnectDevice(deviceId) {
      await broker.disconnectDevice(deviceId);
    },
    close: () => broker.close(),
  };
}
