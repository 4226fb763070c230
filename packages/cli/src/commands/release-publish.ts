import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandSpec } from '../command.js';
import { CliError } from '../errors.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from '../hub-connection-options.js';
import { releaseLabel } from '../hub-view-format.js';
import type { ReleaseView } from '../hub-views.js';
import { printResult } from '../output.js';
import { terminalProgress } from '../progress.js';

/** Files at least this big get a progress line while they upload. */
const PROGRESS_MIN_BYTES = 1024 * 1024;

export const releasePublish: CommandSpec = {
  path: ['release', 'publish'],
  summary: 'Upload a signed bundle (.efb) to the hub as a release',
  description: [
    'The hub verifies the bundle signature against its keyring and every digest before it',
    'stores the release; unsigned, wrongly signed, tampered and duplicate bundles are refused',
    'with the hub error code (e.g. EF_HUB_RELEASE_SIGNATURE, EF_HUB_RELEASE_DUPLICATE).',
    '',
    HUB_CONNECTION_HELP,
  ].join('\n'),
  options: {
    ...HUB_CONNECTION_OPTIONS,
    json: { type: 'boolean', description: 'Print the release as JSON' },
  },
  positionals: [
    { name: 'bundle.efb', description: 'The signed bundle to publish', required: true },
  ],
  examples: [
    'edgefleet release publish dist/pm-1.0.0.efb',
    'EDGEFLEET_HUB=http://hub.lan:8080 EDGEFLEET_TOKEN=$(cat operator.token) edgefleet release publish pm-1.1.0.efb --json',
  ],
  async run(ctx) {
    const file = resolve(ctx.io.cwd, ctx.positionals[0] as string);
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      size = info.size;
    } catch (err) {
      throw new CliError(
        'EF_CLI_FILE_READ',
        `cannot read bundle '${ctx.positionals[0] as string}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { path: file },
        { cause: err },
      );
    }
    const hub = await connectHub(ctx);
    const progress = terminalProgress(
      ctx.io,
      ctx.io.isTTY && !ctx.json && size >= PROGRESS_MIN_BYTES,
    );
    let release: ReleaseView;
    try {
      release = await hub.upload<ReleaseView>('/v1/releases', file, size, (sent) =>
        progress.update({ stage: 'uploading', done: sent, total: size }),
      );
    } finally {
      progress.done();
    }
    printResult(ctx, { release }, [
      `published ${releaseLabel(release)} (${release.bytes} bytes, sha256 ${release.sha256})`,
      `deploy it with: edgefleet deploy ${releaseLabel(release)} --device <id>`,
    ]);
  },
};
