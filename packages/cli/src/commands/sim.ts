import { resolve } from 'node:path';
import { parseDuration } from '@edgefleet/protocol';
import type { CommandContext, CommandSpec } from '../command.js';
import { CliError } from '../errors.js';
import type { HubClient } from '../hub-client.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { optionalString } from '../option-values.js';
import { processStopSignal } from '../stop-signal.js';
import { formatFleetLine, type FleetSummary } from '../sim/fleet-summary.js';
import type { FleetEvent, FleetOptions, RunningFleet } from '../sim/start-fleet.js';

/** Where simulated devices keep their device.json and agent state, beside the working directory. */
export const DEFAULT_SIM_STATE_DIR = '.edgefleet/sim';

/** What `sim` needs besides the command line (tests inject their own). */
export interface SimDeps {
  connectHub(ctx: CommandContext): Promise<HubClient>;
  startFleet(options: FleetOptions): Promise<RunningFleet>;
  stopSignal(): Promise<string>;
}

function usage(message: string): CliError {
  return new CliError('EF_CLI_USAGE', `${message}. Run 'edgefleet sim --help'.`);
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

function duration(ctx: CommandContext, name: string): number | undefined {
  const text = optionalString(ctx, name);
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch {
    throw usage(`--${name} must be a duration like 500ms, 5s or 1m, got '${text}'`);
  }
}

/** `--rate 5/s`, `300/min` or `5`: predictions per second per device. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|sec|min|m))?$/.exec(text.trim());
  if (m === null) throw usage(`--rate must be like 5/s, 300/min or 0, got '${text}'`);
  const n = Number(m[1]);
  const perSecond = m[2] === 'min' || m[2] === 'm' ? n / 60 : n;
  if (perSecond > 1000) throw usage(`--rate is at most 1000/s per device, got '${text}'`);
  return perSecond;
}

/** Which devices got which fault: a count and the first few ids per fault. */
function faultLines(fleet: RunningFleet): string[] {
  const byFault = new Map<string, string[]>();
  for (const d of fleet.devices) {
    for (const f of d.faults) byFault.set(f, [...(byFault.get(f) ?? []), d.id]);
  }
  if (byFault.size === 0) return ['no faults injected'];
  return [...byFault].map(([fault, ids]) => {
    const shown = ids.slice(0, 6).join(' ');
    return `fault ${fault}: ${ids.length} devices (${shown}${ids.length > 6 ? ' …' : ''})`;
  });
}

/** The summary for `--json` lines: the totals, without the per-device list. */
function totals(summary: FleetSummary): Omit<FleetSummary, 'list'> {
  const { list: _list, ...rest } = summary;
  return rest;
}

/**
 * Starts the fleet, prints a status line every `--interval` until the stop signal, stops it.
 *
 * @example
 * await runSim(ctx, deps);
 */
export async function runSim(ctx: CommandContext, deps: SimDeps): Promise<number> {
  const devices = int(ctx, 'devices', 1, 100_000);
  if (devices === undefined) throw usage('--devices is required');
  const sites = int(ctx, 'sites', 1, devices);
  const workers = int(ctx, 'workers', 1, 64);
  const driftWindow = int(ctx, 'drift-window', 10, 1_000_000);
  const rateText = optionalString(ctx, 'rate');
  const rate = rateText === undefined ? undefined : parseRate(rateText);
  const healthIntervalMs = duration(ctx, 'health-interval');
  const probationMs = duration(ctx, 'probation');
  const slowLatencyMs = duration(ctx, 'slow-latency');
  const intervalMs = duration(ctx, 'interval') ?? 5000;
  if (intervalMs < 100) throw usage('--interval must be at least 100ms');
  const stateRoot = resolve(ctx.io.cwd, optionalString(ctx, 'state-dir') ?? DEFAULT_SIM_STATE_DIR);
  const faults = optionalString(ctx, 'faults');
  const prefix = optionalString(ctx, 'prefix');
  const hubClient = await deps.connectHub(ctx);
  const say = (line: string) => (ctx.json ? undefined : ctx.io.stdout(`${line}\n`));
  const onEvent = (e: FleetEvent) => {
    if (e.type === 'ready') say(`${e.devices} agents started in ${(e.ms / 1000).toFixed(1)} s`);
  };
  say(`enrolling ${devices} simulated devices on ${hubClient.url.href} (state ${stateRoot})`);
  const fleet = await deps.startFleet({
    hubClient,
    devices,
    stateRoot,
    onEvent,
    ...(sites === undefined ? {} : { sites }),
    ...(faults === undefined ? {} : { faults }),
    ...(prefix === undefined ? {} : { prefix }),
    ...(rate === undefined ? {} : { rate }),
    ...(workers === undefined ? {} : { workers }),
    ...(healthIntervalMs === undefined ? {} : { healthIntervalMs }),
    ...(probationMs === undefined ? {} : { probationMs }),
    ...(driftWindow === undefined ? {} : { driftWindow }),
    ...(slowLatencyMs === undefined ? {} : { slowLatencyMs }),
  });
  for (const line of faultLines(fleet)) say(line);
  say('press Ctrl-C to stop');
  let previous: FleetSummary | undefined;
  const report = () => {
    const now = fleet.summary();
    if (ctx.json)
      ctx.io.stdout(`${JSON.stringify({ ok: true, type: 'status', ...totals(now) })}\n`);
    else ctx.io.stdout(`${formatFleetLine(now, previous)}\n`);
    previous = now;
  };
  report();
  const timer = setInterval(report, intervalMs);
  const signal = await deps.stopSignal();
  clearInterval(timer);
  ctx.io.stderr(`${signal}: stopping ${fleet.devices.length} agents\n`);
  const last = fleet.summary();
  await fleet.stop();
  if (ctx.json) ctx.io.stdout(`${JSON.stringify({ ok: true, type: 'final', ...last })}\n`);
  else ctx.io.stdout(`${formatFleetLine(last, previous)}\nstopped\n`);
  return 0;
}

export const simCommand: CommandSpec = {
  path: ['sim'],
  summary: 'Simulate a fleet: many real agents in this process, fed with sensor data',
  description: [
    'Enrols --devices simulated devices on the hub (ids <prefix>-<site>-<n>, tags site=site-<k>',
    'and fleet=sim; a second run with the same --state-dir re-uses them) and runs the real agent for',
    'each, in this process: its own state directory, outbox and broker connection, one shared',
    'pool of inference workers. Every device serving a model is fed rows of the fixture',
    'predictive-maintenance data at --rate. Prints a line every --interval: devices connected,',
    'devices per serving version, predictions/s, errors, outbox depth, memory. With --json: one',
    'JSON status line per interval and a final one with every device.',
    '',
    'Faults (--faults, comma-separated kind=target): kinds fail-install (every install fails at',
    'its prepare step, reported failed with EF_CLI_SIM_INSTALL_FAULT), slow (predictions take',
    '--slow-latency longer), drift (the device sees drifted data). Target: a share of the fleet',
    '(10%, the same devices every run) or a site (site-2), optionally @<version> to hit only',
    'that model version (fail-install=20%@2.0.0: those devices take 1.0.0 and refuse 2.0.0).',
    '',
    'With a hub and a rollout (hub start and sim run until Ctrl-C: one terminal each):',
    '  edgefleet hub start                                   # writes .edgefleet/hub/keys',
    '  edgefleet compile fixtures/models/pm-mlp.onnx --data fixtures/data/pm/calibration.csv \\',
    '    --eval fixtures/data/pm/eval.csv --preprocess fixtures/data/pm/preprocess.json \\',
    '    --key .edgefleet/hub/keys/release.key --name pm --version 1.0.0 --out pm-1.0.0.efb',
    '  edgefleet release publish pm-1.0.0.efb',
    '  edgefleet sim --devices 50 --sites 3 --faults fail-install=10%',
    '  edgefleet rollout create pm@1.0.0 --select fleet=sim --waves 10,50,100 --soak 30s',
    '  edgefleet rollout status <id> --watch',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    devices: { type: 'string', valueName: 'n', description: 'How many devices (required)' },
    sites: {
      type: 'string',
      valueName: 'n',
      description: 'Sites the devices spread over (tag site=site-<k>)',
      defaultText: '1',
    },
    faults: {
      type: 'string',
      valueName: 'spec',
      description: 'e.g. fail-install=10%,slow=5%,drift=site-2',
    },
    rate: {
      type: 'string',
      valueName: 'n/s',
      description: 'Predictions per device per second (or n/min; 0 = none)',
      defaultText: '5/s',
    },
    prefix: {
      type: 'string',
      valueName: 'name',
      description: 'Device ids are <prefix>-<site>-<n> (another prefix, another fleet)',
      defaultText: 'sim',
    },
    'state-dir': {
      type: 'string',
      valueName: 'dir',
      description: 'Where each device keeps device.json and its agent state',
      defaultText: `./${DEFAULT_SIM_STATE_DIR}`,
    },
    workers: {
      type: 'string',
      valueName: 'n',
      description: 'Inference worker threads shared by all devices',
      defaultText: 'min(2, cores)',
    },
    'health-interval': {
      type: 'string',
      valueName: 'duration',
      description: "Each agent's health report period",
      defaultText: '5s',
    },
    probation: {
      type: 'string',
      valueName: 'duration',
      description: 'Watch a new model this long before reporting it healthy',
      defaultText: '10s',
    },
    'drift-window': {
      type: 'string',
      valueName: 'rows',
      description: 'Rows per drift window',
      defaultText: '100',
    },
    'slow-latency': {
      type: 'string',
      valueName: 'duration',
      description: 'Extra latency of a slow device',
      defaultText: '20ms',
    },
    interval: {
      type: 'string',
      valueName: 'duration',
      description: 'Status line period',
      defaultText: '5s',
    },
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print JSON status lines instead of text' },
  },
  examples: [
    'edgefleet sim --devices 50 --sites 3',
    'edgefleet sim --devices 200 --sites 4 --faults "fail-install=10%,slow=5%,drift=20%" --rate 2/s',
    'edgefleet sim --devices 20 --faults fail-install=25%@2.0.0 --hub http://hub.lan:8080 --token-file hub.token',
  ],
  run: (ctx) =>
    runSim(ctx, {
      connectHub,
      // Loaded on use: other commands do not pay for onnxruntime and SQLite.
      startFleet: async (options) => (await import('../sim/start-fleet.js')).startFleet(options),
      stopSignal: processStopSignal,
    }),
};
