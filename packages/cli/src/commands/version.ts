import { createRequire } from 'node:module';
import type { CommandSpec } from '../command.js';
import { printResult } from '../output.js';

const require = createRequire(import.meta.url);

/** The CLI's own package version, read from its package.json at run time. */
export function cliVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}

export const version: CommandSpec = {
  path: ['version'],
  summary: 'Print the edgefleet version and the Node.js it runs on',
  options: { json: { type: 'boolean', description: 'Print the result as JSON' } },
  examples: ['edgefleet version --json'],
  async run(ctx) {
    const v = cliVersion();
    printResult(ctx, { version: v, node: process.versions.node, arch: process.arch }, [
      `edgefleet ${v} (node ${process.versions.node}, ${process.platform}-${process.arch})`,
    ]);
  },
};
