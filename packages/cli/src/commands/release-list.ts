import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { releaseTable } from '../hub-view-format.js';
import type { ReleaseView } from '../hub-views.js';
import { printResult } from '../output.js';

export const releaseList: CommandSpec = {
  path: ['release', 'list'],
  summary: 'List the releases on the hub, or the versions of one model',
  description: ['Sorted by name, then SemVer.', '', HUB_CONNECTION_HELP].join('\n'),
  options: {
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the releases as JSON' },
  },
  positionals: [{ name: 'name', description: 'Only the versions of this model', required: false }],
  examples: ['edgefleet release list', 'edgefleet release list pm --json'],
  async run(ctx) {
    const hub = await connectHub(ctx);
    const releases = await hub.getJson<ReleaseView[]>('/v1/releases', { name: ctx.positionals[0] });
    printResult(ctx, { releases }, releaseTable(releases));
  },
};
