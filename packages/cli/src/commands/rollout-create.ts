import type { CommandSpec, CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { flag, optionalString, requiredString } from '../option-values.js';
import { printResult } from '../output.js';
import { parseReleaseRef } from '../release-ref.js';
import { duration, percent, rolloutRelease } from '../rollout-format.js';
import type { CreateRolloutRequest, RolloutProgressView } from '../rollout-views.js';
import { WATCH_OPTIONS, watchOptionsOf, watchRollout } from '../rollout-watch.js';

function stringValues(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string' && x.trim() !== '');
}

/** The request body from the flags; the hub checks every value and names what is wrong. */
function request(ctx: CommandContext): CreateRolloutRequest {
  const ref = parseReleaseRef(ctx.positionals[0] as string, true);
  const selects = stringValues(ctx, 'select');
  if (selects.length === 0) {
    throw new CliError(
      'EF_CLI_USAGE',
      "--select is required: the tags of the devices to update, e.g. site=plant-a,hw=rpi5 ('*' for every device). Run with --help for the options.",
    );
  }
  const onFailure = optionalString(ctx, 'on-failure');
  if (onFailure !== undefined && onFailure !== 'pause' && onFailure !== 'rollback') {
    throw new CliError(
      'EF_CLI_USAGE',
      `--on-failure must be pause or rollback, got '${onFailure}'`,
    );
  }
  const optional: [keyof CreateRolloutRequest, string][] = [
    ['maxFailures', 'max-failures'],
    ['minSuccess', 'min-success'],
    ['minReported', 'min-reported'],
    ['rate', 'rate'],
    ['deviceTimeout', 'device-timeout'],
  ];
  const body: Record<string, unknown> = {
    release: `${ref.name}@${ref.version ?? ''}`,
    selector: selects.join(','),
    waves: requiredString(ctx, 'waves'),
    soak: requiredString(ctx, 'soak'),
  };
  for (const [field, option] of optional) {
    const value = optionalString(ctx, option);
    if (value !== undefined) body[field] = value;
  }
  const gates = stringValues(ctx, 'gate');
  if (gates.length > 0) body['gates'] = gates;
  if (onFailure !== undefined) body['onFailure'] = onFailure;
  return body as unknown as CreateRolloutRequest;
}

function createdLines(view: RolloutProgressView): string[] {
  const r = view.rollout;
  const o = r.options;
  const sizes = view.waves.map((w) => w.size).join(', ');
  return [
    `started rollout ${r.id}: ${rolloutRelease(r)} to ${view.devices.total} devices in ${view.waves.length} wave(s) of ${sizes}`,
    `  soak ${duration(o.soakMs)} per wave, max-failures ${percent(o.maxFailures)}, min-success ${percent(o.minSuccess)}, on failure ${o.onFailure}`,
    `  gates ${o.gates.length === 0 ? 'none' : o.gates.join(', ')}`,
    `follow it with: edgefleet rollout status ${r.id} --watch`,
  ];
}

export const rolloutCreate: CommandSpec = {
  path: ['rollout', 'create'],
  summary: 'Roll a release out to devices by tag, in waves gated on health',
  description: [
    'The hub orders the selected devices by a stable hash of (rollout, device), so the canary',
    'wave is random but repeatable, and notifies one wave at a time (a new signed desired state).',
    'A wave is judged once --min-reported devices reported. It fails when failed, rolled-back and',
    'timed-out devices exceed --max-failures, or when a gate fails over the soak window. The next',
    'wave starts only when --min-success is reached, the soak time has passed and every gate is',
    'green; a wave that ends below --min-success pauses the rollout. A failed wave pauses, or with',
    '--on-failure rollback sends every touched device back to its previous release.',
    '',
    'Gates (repeat --gate): error-rate<1% (errors/requests of the new release),',
    'p95-latency<1.2x (against the previous release on the same devices), p95-latency<250ms,',
    'drift<0.25 (share of drift windows scored drifted), drift-score<0.5 (largest share of',
    'drifted features in one window). A gate without data neither fails nor holds a wave.',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    select: {
      type: 'string',
      multiple: true,
      valueName: 'k=v,...',
      description: "Devices with all these tags, e.g. site=plant-a,hw=rpi5; '*' for every device",
    },
    waves: {
      type: 'string',
      valueName: 'list',
      description:
        'Cumulative percentages ending at 100 (1,10,50,100) or cohorts of device ids (dev-1,dev-2;dev-3)',
    },
    soak: {
      type: 'string',
      valueName: 'duration',
      description: 'How long each wave must hold, gates green, before the next (e.g. 10m)',
    },
    'max-failures': {
      type: 'string',
      valueName: 'share',
      description: 'A wave fails above this share of failed devices',
      defaultText: '5%',
    },
    'min-success': {
      type: 'string',
      valueName: 'share',
      description: 'A wave passes only at this share of installed or healthy devices',
      defaultText: '95%',
    },
    'min-reported': {
      type: 'string',
      valueName: 'n',
      description: 'Reports needed before a wave is judged',
      defaultText: '3',
    },
    gate: {
      type: 'string',
      multiple: true,
      valueName: 'expr',
      description: 'A health gate over the soak window; repeatable (see above)',
    },
    rate: {
      type: 'string',
      valueName: 'n/time',
      description: 'Notification rate limit, e.g. 100/min, 5/s',
      defaultText: '600/min',
    },
    'on-failure': {
      type: 'string',
      valueName: 'pause|rollback',
      description: 'What a failed wave does',
      defaultText: 'pause',
    },
    'device-timeout': {
      type: 'string',
      valueName: 'duration',
      description: 'A notified device without a final state after this is timed out',
      defaultText: '30m',
    },
    ...WATCH_OPTIONS,
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the rollout status as JSON' },
  },
  positionals: [
    { name: 'name@version', description: 'The release to roll out, e.g. pm@1.1.0', required: true },
  ],
  examples: [
    'edgefleet rollout create pm@1.1.0 --select site=plant-a --waves 1,10,50,100 --soak 10m',
    'edgefleet rollout create pm@1.1.0 --select site=plant-a,hw=rpi5 --waves 10,100 --soak 30m --gate "error-rate<1%" --gate "p95-latency<1.2x" --gate "drift<0.25" --on-failure rollback',
    "edgefleet rollout create pm@1.1.0 --select '*' --waves 'press-01,press-02;press-03' --soak 5m --max-failures 0% --rate 100/min --watch",
  ],
  async run(ctx) {
    const body = request(ctx);
    const watch = flag(ctx, 'watch') ? watchOptionsOf(ctx) : undefined;
    const hub = await connectHub(ctx);
    const view = await hub.sendJson<RolloutProgressView>('POST', '/v1/rollouts', body);
    if (watch === undefined) {
      printResult(ctx, { status: view }, createdLines(view));
      return;
    }
    if (!ctx.json) ctx.io.stdout(`${createdLines(view).slice(0, -1).join('\n')}\n`);
    return watchRollout(ctx, hub, view.rollout.id, watch);
  },
};
