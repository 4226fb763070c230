import type { CommandSpec } from '../command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { releaseLines } from '../hub-view-format.js';
import type { ReleaseView } from '../hub-views.js';
import { printResult } from '../output.js';
import { parseReleaseRef } from '../release-ref.js';

export const releaseShow: CommandSpec = {
  path: ['release', 'show'],
  summary: 'Show one release: its digest, size and manifest summary',
  description: [
    'name@version shows that version; a bare name shows the highest published version.',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the release (with its manifest) as JSON' },
  },
  positionals: [
    { name: 'name[@version]', description: 'The release, e.g. pm@1.0.0', required: true },
  ],
  examples: ['edgefleet release show pm@1.0.0', 'edgefleet release show pm --json'],
  async run(ctx) {
    const ref = parseReleaseRef(ctx.positionals[0] as string, false);
    const hub = await connectHub(ctx);
    const path =
      ref.version === undefined
        ? `/v1/releases/${encodeURIComponent(ref.name)}`
        : `/v1/releases/${encodeURIComponent(ref.name)}/${encodeURIComponent(ref.version)}`;
    const release = await hub.getJson<ReleaseView>(path);
    printResult(ctx, { release }, releaseLines(release));
  },
};
