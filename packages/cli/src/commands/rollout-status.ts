import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { flag } from '../option-values.js';
import { printResult } from '../output.js';
import { statusLines } from '../rollout-format.js';
import {
  EXIT_INTERRUPTED,
  EXIT_ROLLOUT_NOT_COMPLETED,
  fetchStatus,
  WATCH_OPTIONS,
  watchOptionsOf,
  watchRollout,
} from '../rollout-watch.js';

export const rolloutStatus: CommandSpec = {
  path: ['rollout', 'status'],
  summary: 'Show a rollout: waves, device counts by state, gates against their limits',
  description: [
    "Each wave's state and its devices by state (pending, updating, installed, healthy, failed,",
    'timed-out, rolled-back), soak time left, what the current wave is judged on against the',
    'thresholds, and its gate values against their limits.',
    '',
    'With --watch the view follows the rollout: redrawn in place in a terminal, else printed once',
    "and followed by a line per decision and per change of the current wave's counts (--json:",
    'one JSON document per line, each event and then the final status). It exits 0 when the',
    `rollout completes, ${EXIT_ROLLOUT_NOT_COMPLETED} when it is aborted or rolled back, and ${EXIT_INTERRUPTED} on Ctrl-C (which stops`,
    'watching, not the rollout).',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    ...WATCH_OPTIONS,
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the status as JSON' },
  },
  positionals: [{ name: 'id', description: 'The rollout id, e.g. ro-7k2m9qwx3a', required: true }],
  examples: [
    'edgefleet rollout status ro-7k2m9qwx3a',
    'edgefleet rollout status ro-7k2m9qwx3a --watch',
    'edgefleet rollout status ro-7k2m9qwx3a --watch --interval 5s > rollout.log',
    'edgefleet rollout status ro-7k2m9qwx3a --json',
  ],
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const watch = flag(ctx, 'watch') ? watchOptionsOf(ctx) : undefined;
    const hub = await connectHub(ctx);
    if (watch !== undefined) return watchRollout(ctx, hub, id, watch);
    const view = await fetchStatus(hub, id);
    printResult(ctx, { status: view }, statusLines(view));
  },
};
