import { resolve } from 'node:path';
import type { HubOptions, RunningHub } from '@edgefleet/hub';
import type { CommandContext, CommandSpec } from '../command.js';
import { CliError } from '../errors.js';
import { DEFAULT_HUB_DATA_DIR } from '../hub-connection-options.js';
import { oneOf, optionalString } from '../option-values.js';
import { printResult } from '../output.js';
import { processStopSignal } from '../stop-signal.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** What `hub start` needs from outside, so tests can run it without a hub or signals. */
export interface HubStartDeps {
  startHub(options: HubOptions): Promise<RunningHub>;
  /** Resolves with the name of the signal that asks the hub to stop. */
  stopSignal(): Promise<string>;
}

function usage(message: string): CliError {
  return new CliError('EF_CLI_USAGE', `${message}. Run 'edgefleet hub start --help'.`);
}

function port(ctx: CommandContext, name: string): number | undefined {
  const text = optionalString(ctx, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw usage(`--${name} must be a port 0..65535, got '${text}'`);
  return n;
}

function url(ctx: CommandContext, name: string, protocols: readonly string[]): string | undefined {
  const text = optionalString(ctx, name);
  if (text === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !protocols.includes(parsed.protocol)) {
    throw usage(
      `--${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, got '${text}'`,
    );
  }
  return text;
}

/** Reads the command line into the hub's options. */
export function hubOptions(ctx: CommandContext): HubOptions {
  const cwd = ctx.io.cwd;
  const path = (name: string) => {
    const v = optionalString(ctx, name);
    return v === undefined ? undefined : resolve(cwd, v);
  };
  const brokerUrl = url(ctx, 'broker', ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']);
  const mqttPort = port(ctx, 'mqtt-port');
  const brokerUsername = optionalString(ctx, 'broker-username');
  const brokerPassword =
    optionalString(ctx, 'broker-password') ?? ctx.io.env['EDGEFLEET_BROKER_PASSWORD'];
  if (brokerUrl !== undefined && mqttPort !== undefined) {
    throw usage('give --mqtt-port (embedded broker) or --broker (external broker), not both');
  }
  if (brokerUrl === undefined && optionalString(ctx, 'broker-username') !== undefined) {
    throw usage('--broker-username needs --broker');
  }
  const level =
    ctx.values['log-level'] === undefined ? undefined : oneOf(ctx, 'log-level', LOG_LEVELS);
  const options = {
    dataDir: resolve(cwd, optionalString(ctx, 'data') ?? DEFAULT_HUB_DATA_DIR),
    host: optionalString(ctx, 'host'),
    httpPort: port(ctx, 'http-port'),
    mqttPort,
    brokerUrl,
    brokerUsername,
    brokerPassword: brokerUrl === undefined ? undefined : brokerPassword,
    publicBrokerUrl: url(ctx, 'public-broker-url', ['mqtt:', 'mqtts:', 'ws:', 'wss:']),
    publicHttpUrl: url(ctx, 'public-http-url', ['http:', 'https:']),
    keyringPath: path('keyring'),
    deployKeyPath: path('deploy-key'),
    logLevel: level === 'silent' ? false : level,
  };
  // Unset stays unset: the hub applies its own defaults.
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as unknown as HubOptions;
}

function startedLines(hub: RunningHub, external: boolean): string[] {
  const lines = [
    'hub running',
    `  http API        ${hub.httpUrl}`,
    `  MQTT broker     ${hub.brokerUrl}${external ? ' (external)' : ' (embedded)'}`,
    ...(hub.publicBrokerUrl !== hub.brokerUrl
      ? [`  devices use     ${hub.publicBrokerUrl} (written into device.json)`]
      : []),
    `  data            ${hub.dataDir}`,
    `  operator token  ${hub.operatorTokenPath}${hub.operatorToken === undefined ? '' : ' (created now, mode 0600)'}`,
    `                  use it: export EDGEFLEET_TOKEN=$(cat ${hub.operatorTokenPath})`,
  ];
  if (hub.keysDir !== undefined) {
    lines.push(
      `  keys            ${hub.keysDir} (created now: root, release and deploy keys and keyring.json)`,
      '                  root.key signs keyrings and belongs offline: copy it to offline storage',
      '                  and delete it here. release.key signs bundles (edgefleet compile --key).',
    );
  }
  lines.push('press Ctrl-C to stop');
  return lines;
}

/**
 * Starts the hub, prints where it listens, waits for the stop signal and closes it.
 *
 * @example
 * await runHubStart(ctx, { startHub, stopSignal: () => Promise.resolve('SIGTERM') });
 */
export async function runHubStart(ctx: CommandContext, deps: HubStartDeps): Promise<number> {
  const options = hubOptions(ctx);
  const mosquittoDir = optionalString(ctx, 'mosquitto-dir');
  const pidFile = optionalString(ctx, 'mosquitto-pid-file');
  if (
    (mosquittoDir === undefined) !== (pidFile === undefined) ||
    (mosquittoDir !== undefined && options.brokerUrl === undefined)
  ) {
    throw usage('--mosquitto-dir and --mosquitto-pid-file go together, with --broker');
  }
  const started: { hub?: RunningHub } = {};
  if (mosquittoDir !== undefined && pidFile !== undefined) {
    // Revoking regenerates the password file and reloads Mosquitto, which disconnects the device.
    options.onRevoke = async (deviceId) => {
      const { mosquittoRevokeHook } = await import('@edgefleet/hub');
      const hub = started.hub;
      if (hub === undefined) throw usage('the hub is not started yet');
      await mosquittoRevokeHook({
        dataDir: options.dataDir,
        outDir: resolve(ctx.io.cwd, mosquittoDir),
        pidFile: resolve(ctx.io.cwd, pidFile),
        store: () => hub.store,
      })(deviceId);
    };
  }
  const hub = await deps.startHub(options);
  started.hub = hub;
  const stop = deps.stopSignal();
  printResult(
    ctx,
    {
      httpUrl: hub.httpUrl,
      brokerUrl: hub.brokerUrl,
      publicBrokerUrl: hub.publicBrokerUrl,
      dataDir: hub.dataDir,
      operatorTokenPath: hub.operatorTokenPath,
      operatorTokenCreated: hub.operatorToken !== undefined,
      keysDir: hub.keysDir ?? null,
    },
    startedLines(hub, options.brokerUrl !== undefined),
  );
  const signal = await stop;
  ctx.io.stderr(`${signal}: stopping the hub\n`);
  await hub.close();
  ctx.io.stderr('hub stopped\n');
  return 0;
}

/** The first SIGINT or SIGTERM; a second one gets Node's default (immediate exit). */
export const hubStart: CommandSpec = {
  path: ['hub', 'start'],
  summary: 'Run the hub: HTTP API, MQTT broker, database and blob store in one process',
  description: [
    'Keeps running until Ctrl-C (SIGINT) or SIGTERM, then closes cleanly.',
    'On first start it creates <data>/operator.token (mode 0600) for the operator commands and,',
    'without --keyring, root, release and deploy keys and a keyring under <data>/keys/. The root',
    'key belongs offline. With --broker it uses an external broker (Mosquitto; see',
    "'edgefleet hub mosquitto-config') instead of the embedded one. The broker password may also",
    'come from EDGEFLEET_BROKER_PASSWORD.',
  ].join('\n'),
  options: {
    data: {
      type: 'string',
      valueName: 'dir',
      description: 'Data directory (database, blobs, keys, operator token)',
      defaultText: `./${DEFAULT_HUB_DATA_DIR}`,
    },
    host: {
      type: 'string',
      valueName: 'address',
      description: 'Address to listen on (HTTP and embedded MQTT)',
      defaultText: '0.0.0.0',
    },
    'http-port': {
      type: 'string',
      valueName: 'port',
      description: 'HTTP API port',
      defaultText: '8080',
    },
    'mqtt-port': {
      type: 'string',
      valueName: 'port',
      description: 'Embedded MQTT broker port',
      defaultText: '1883',
    },
    broker: {
      type: 'string',
      valueName: 'mqtt://host:port',
      description: 'Use this external broker instead of the embedded one',
    },
    'broker-username': {
      type: 'string',
      valueName: 'name',
      description: 'Hub user on the external broker (default _hub, as hub mosquitto-config writes)',
    },
    'broker-password': {
      type: 'string',
      valueName: 'password',
      description: 'Its password (or EDGEFLEET_BROKER_PASSWORD; default <data>/broker-hub.secret)',
    },
    'mosquitto-dir': {
      type: 'string',
      valueName: 'dir',
      description:
        'With --broker: where hub mosquitto-config wrote the files; revoking rewrites them',
    },
    'mosquitto-pid-file': {
      type: 'string',
      valueName: 'file',
      description: 'With --mosquitto-dir: Mosquitto pid file; revoking reloads it (SIGHUP)',
    },
    'public-broker-url': {
      type: 'string',
      valueName: 'mqtt://host:port',
      description: 'Broker URL written into device.json, when devices reach it by another name',
    },
    'public-http-url': {
      type: 'string',
      valueName: 'http://host:port',
      description: 'HTTP URL written into device.json for range downloads',
    },
    keyring: {
      type: 'string',
      valueName: 'keyring.json',
      description: 'Use this root-signed keyring',
    },
    'deploy-key': {
      type: 'string',
      valueName: 'deploy.key',
      description: 'Sign desired state with this key (listed in the keyring)',
    },
    'log-level': {
      type: 'string',
      valueName: LOG_LEVELS.join('|'),
      description: 'JSON log verbosity',
      defaultText: 'info',
    },
    json: { type: 'boolean', description: 'Print where the hub listens as JSON' },
  },
  examples: [
    'edgefleet hub start',
    'edgefleet hub start --data /var/lib/edgefleet --host 0.0.0.0 --public-broker-url mqtt://hub.lan:1883',
    'edgefleet hub start --broker mqtt://127.0.0.1:1883 --mosquitto-dir /etc/mosquitto/edgefleet --mosquitto-pid-file /run/mosquitto/mosquitto.pid',
    'edgefleet hub start --broker mqtt://broker.lan:1883 --broker-username edgefleet-hub --keyring keys/keyring.json --deploy-key keys/deploy.key',
  ],
  run: (ctx) =>
    runHubStart(ctx, {
      // Loaded on use: the other commands do not pay for SQLite, aedes and the MQTT client.
      startHub: async (options) => (await import('@edgefleet/hub')).startHub(options),
      stopSignal: processStopSignal,
    }),
};
