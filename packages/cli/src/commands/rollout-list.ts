import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { printResult } from '../output.js';
import { rolloutTable } from '../rollout-format.js';
import type { RolloutView } from '../rollout-views.js';

export const rolloutList: CommandSpec = {
  path: ['rollout', 'list'],
  summary: 'List rollouts, oldest first',
  description: [
    'Shows each rollout: its release, state, current wave, selector and waves.',
    "See one with 'edgefleet rollout status <id>'.",
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the rollouts as JSON' },
  },
  examples: ['edgefleet rollout list', 'edgefleet rollout list --json'],
  async run(ctx) {
    const hub = await connectHub(ctx);
    const rollouts = await hub.getJson<RolloutView[]>('/v1/rollouts');
    printResult(ctx, { rollouts }, rolloutTable(rollouts));
  },
};
