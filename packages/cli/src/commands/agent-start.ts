import { resolve } from 'node:path';
import type { AgentOptionsInput, RunningAgent } from '@edgefleet/agent';
import { parseDuration } from '@edgefleet/protocol';
import type { CommandContext, CommandSpec } from '../command.js';
import { CliError } from '../errors.js';
import { readInputText } from '../file-io.js';
import { flag, oneOf, optionalString, requiredString } from '../option-values.js';
import { printResult } from '../output.js';
import { processStopSignal } from '../stop-signal.js';

/** Default state directory, beside the working directory (a service sets `--state-dir`). */
export const DEFAULT_AGENT_STATE_DIR = '.edgefleet/agent';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function usage(message: string): CliError {
  return new CliError('EF_CLI_USAGE', `${message}. Run 'edgefleet agent start --help'.`);
}

function duration(ctx: CommandContext, name: string): number | undefined {
  const text = optionalString(ctx, name);
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch {
    throw usage(`--${name} must be a duration like 30s, 5m or 1h, got '${text}'`);
  }
}

function int(ctx: CommandContext, name: string, min: number, max: number): number | undefined {
  const text = optionalString(ctx, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw usage(`--${name} must be an integer ${min}..${max}, got '${text}'`);
  }
  return n;
}

/** What `agent start` needs besides the command line (tests inject their own). */
export interface AgentStartDeps {
  startAgent(options: AgentOptionsInput): Promise<RunningAgent>;
  loadDeviceConfig(
    path: string,
    onWarning: (message: string) => void,
  ): Promise<AgentOptionsInput['config']>;
  stopSignal(): Promise<string>;
}

/**
 * Starts the agent from the command line, prints where it serves, runs until a stop signal.
 *
 * @example
 * await runAgentStart(ctx, deps);
 */
export async function runAgentStart(ctx: CommandContext, deps: AgentStartDeps): Promise<number> {
  const cwd = ctx.io.cwd;
  const configPath = resolve(cwd, requiredString(ctx, 'config'));
  const stateDir = resolve(cwd, optionalString(ctx, 'state-dir') ?? DEFAULT_AGENT_STATE_DIR);
  const apiPort = int(ctx, 'api-port', 0, 65_535);
  const socketPath = optionalString(ctx, 'api-socket');
  const noApi = flag(ctx, 'no-api');
  if (noApi && (apiPort !== undefined || socketPath !== undefined)) {
    throw usage('--no-api excludes --api-port and --api-socket');
  }
  const jobsPath = optionalString(ctx, 'jobs');
  let jobs: unknown = [];
  if (jobsPath !== undefined) {
    const text = await readInputText(resolve(cwd, jobsPath), 'jobs file');
    try {
      jobs = JSON.parse(text);
    } catch {
      throw usage(`--jobs ${jobsPath} is not JSON`);
    }
  }
  if (!Array.isArray(jobs)) throw usage('--jobs must name a JSON file holding an array of jobs');
  const level =
    ctx.values['log-level'] === undefined ? 'info' : oneOf(ctx, 'log-level', LOG_LEVELS);
  const config = await deps.loadDeviceConfig(configPath, (message) =>
    ctx.io.stderr(`warning: ${message}\n`),
  );
  const healthIntervalMs = duration(ctx, 'health-interval');
  const probationMs = duration(ctx, 'probation');
  const workers = int(ctx, 'workers', 1, 64);
  const options: AgentOptionsInput = {
    config,
    stateDir,
    api: noApi
      ? false
      : {
          port: apiPort ?? 8787,
          host: optionalString(ctx, 'api-host') ?? '127.0.0.1',
          ...(socketPath !== undefined ? { socketPath: resolve(cwd, socketPath) } : {}),
        },
    jobs,
    logLevel: level === 'silent' ? false : level,
    download: { http: flag(ctx, 'http-download') },
    ...(healthIntervalMs !== undefined ? { healthIntervalMs } : {}),
    ...(probationMs !== undefined ? { probation: { ms: probationMs } } : {}),
    ...(workers !== undefined ? { workers } : {}),
  };
  const agent = await deps.startAgent(options);
  const stop = deps.stopSignal();
  printResult(
    ctx,
    {
      deviceId: agent.deviceId,
      bootId: agent.bootId,
      stateDir: agent.stateDir,
      apiUrl: agent.apiUrl,
      socketPath: agent.socketPath,
      broker: config.brokerUrl,
      serving: agent.modelHost.list(),
    },
    [
      `agent ${agent.deviceId} running`,
      `  state           ${agent.stateDir}`,
      `  local API       ${[agent.apiUrl, agent.socketPath].filter(Boolean).join(' and ') || 'off'}`,
      `  broker          ${config.brokerUrl} (connects in the background; inference works offline)`,
      `  serving         ${
        agent.modelHost
          .list()
          .map((m) => `${m.name}@${m.version}`)
          .join(', ') || 'nothing yet (waiting for a desired state)'
      }`,
      'press Ctrl-C to stop',
    ],
  );
  const signal = await stop;
  ctx.io.stderr(`${signal}: stopping the agent\n`);
  await agent.close();
  return 0;
}

export const agentStart: CommandSpec = {
  path: ['agent', 'start'],
  summary: 'Run the device agent: verified installs, local inference, buffered reports',
  description: [
    'Reads device.json (from edgefleet device enroll), serves the installed models at once, even',
    'with no broker reachable, then follows the hub: verifies each signed desired state,',
    'downloads bundles in resumable chunks, installs with smoke tests, switches atomically and',
    'rolls back on failure. Every report waits in SQLite until the hub acknowledges it.',
    'Local API: GET /healthz, GET /v1/models, POST /v1/models/<name>/predict with',
    '{"inputs": [[...]]}, {"instances": [{...}]} or an image/jpeg|png body.',
    'Stops cleanly on Ctrl-C or SIGTERM.',
  ].join('\n'),
  options: {
    config: { type: 'string', valueName: 'device.json', description: 'The provisioning file' },
    'state-dir': {
      type: 'string',
      valueName: 'dir',
      description: 'Database, bundles and downloads',
      defaultText: `./${DEFAULT_AGENT_STATE_DIR}`,
    },
    'api-port': {
      type: 'string',
      valueName: 'port',
      description: 'Local API port (0 = any)',
      defaultText: '8787',
    },
    'api-host': {
      type: 'string',
      valueName: 'address',
      description: 'Local API address',
      defaultText: '127.0.0.1',
    },
    'api-socket': {
      type: 'string',
      valueName: 'path',
      description: 'Also serve the local API on this unix socket',
    },
    'no-api': { type: 'boolean', description: 'Serve no local API' },
    jobs: {
      type: 'string',
      valueName: 'jobs.json',
      description: 'Scheduled inference jobs (JSON array)',
    },
    'health-interval': {
      type: 'string',
      valueName: 'duration',
      description: 'Health report period',
      defaultText: '30s',
    },
    probation: {
      type: 'string',
      valueName: 'duration',
      description: 'Watch a new model this long before calling it healthy',
      defaultText: '1m',
    },
    workers: {
      type: 'string',
      valueName: 'n',
      description: 'Inference worker threads',
      defaultText: 'min(2, cores)',
    },
    'http-download': {
      type: 'boolean',
      description: 'Download bundles over HTTP ranges when the hub offers a URL',
    },
    'log-level': {
      type: 'string',
      valueName: LOG_LEVELS.join('|'),
      description: 'JSON log verbosity (stderr)',
      defaultText: 'info',
    },
    json: { type: 'boolean', description: 'Print where the agent serves as JSON' },
  },
  examples: [
    'edgefleet agent start --config device.json',
    'edgefleet agent start --config /etc/edgefleet/device.json --state-dir /var/lib/edgefleet --api-socket /run/edgefleet.sock',
    'curl -s localhost:8787/v1/models/pm/predict -d \'{"instances":[{"air_temp_k":300.1,"process_temp_k":310.2,"rpm":1500,"torque_nm":40,"tool_wear_min":10,"type_L":1,"type_M":0,"type_H":0}]}\'',
  ],
  run: (ctx) =>
    runAgentStart(ctx, {
      // Loaded on use: other commands do not pay for onnxruntime and SQLite.
      startAgent: async (options) => (await import('@edgefleet/agent')).startAgent(options),
      loadDeviceConfig: async (path, onWarning) =>
        (await import('@edgefleet/agent')).loadDeviceConfig(path, onWarning),
      stopSignal: processStopSignal,
    }),
};
