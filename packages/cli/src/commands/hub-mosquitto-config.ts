import { resolve } from 'node:path';
import type { CommandContext, CommandSpec } from '../command.js';
import { DEFAULT_HUB_DATA_DIR } from '../hub-connection-options.js';
import { optionalString, requiredString } from '../option-values.js';
import { printResult } from '../output.js';

/**
 * Writes the Mosquitto files for the hub whose data directory is `dataDir` (reading its devices
 * from the store); `@edgefleet/hub`'s `writeHubMosquittoConfig` by default.
 */
export type WriteMosquittoConfig = (options: {
  dataDir: string;
  outDir: string;
}) => Promise<{ files: string[]; notes: string[] }>;

/**
 * Runs the command with `write` as the generator (tests pass their own).
 *
 * @example
 * await runMosquittoConfig(ctx, writeMosquittoConfig);
 */
export async function runMosquittoConfig(
  ctx: CommandContext,
  write: WriteMosquittoConfig,
): Promise<void> {
  const outDir = resolve(ctx.io.cwd, requiredString(ctx, 'out'));
  const dataDir = resolve(ctx.io.cwd, optionalString(ctx, 'data') ?? DEFAULT_HUB_DATA_DIR);
  const { files, notes } = await write({ dataDir, outDir });
  printResult(ctx, { outDir, dataDir, files, notes }, [
    `wrote Mosquitto configuration for the hub in ${dataDir}:`,
    ...files.map((f) => `  ${f}`),
    ...notes,
  ]);
}

export const hubMosquittoConfig: CommandSpec = {
  path: ['hub', 'mosquitto-config'],
  summary: 'Write password and ACL files that let an external Mosquitto serve the hub',
  description: [
    'From the hub data directory: a password_file, an acl_file whose pattern lines keep each',
    'device under ef/v1/d/<its id>/, and settings that raise max_queued_messages and',
    'max_inflight_messages (the defaults drop messages under bursts). Mosquitto must be able to',
    'read the files; send it SIGHUP to reload them. Then run the hub with --broker.',
  ].join('\n'),
  options: {
    out: { type: 'string', valueName: 'dir', description: 'Directory for the Mosquitto files' },
    data: {
      type: 'string',
      valueName: 'dir',
      description: 'The hub data directory',
      defaultText: `./${DEFAULT_HUB_DATA_DIR}`,
    },
    json: { type: 'boolean', description: 'Print the files and notes as JSON' },
  },
  examples: [
    'edgefleet hub mosquitto-config --out /etc/mosquitto/edgefleet',
    'edgefleet hub mosquitto-config --data /var/lib/edgefleet --out ./mosquitto --json',
  ],
  run: (ctx) =>
    runMosquittoConfig(ctx, async (options) =>
      (await import('@edgefleet/hub')).writeHubMosquittoConfig(options),
    ),
};
