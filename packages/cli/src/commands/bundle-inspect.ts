import { resolve } from 'node:path';
import { inspectBundle } from '@edgefleet/runtime';
import { describeBundle } from '../bundle-summary.js';
import type { CommandSpec } from '../command.js';
import { printResult } from '../output.js';

export const bundleInspect: CommandSpec = {
  path: ['bundle', 'inspect'],
  summary: 'Show what a bundle (.efb) contains, without verifying it',
  description: [
    'Reads the bundle with the same hostile-input archive checks a device applies and prints its',
    'manifest: model inputs and outputs, preprocessing, quantization, validation numbers, drift',
    'baseline, smoke tests, files, the key id that claims to have signed it and the archive sha256.',
    "Nothing is verified: use 'edgefleet bundle verify' before trusting a bundle.",
  ].join('\n'),
  options: {
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  positionals: [{ name: 'bundle.efb', description: 'The bundle to inspect', required: true }],
  examples: [
    'edgefleet bundle inspect dist/pump-anomaly-1.2.0.efb',
    'edgefleet bundle inspect dist/pump-anomaly-1.2.0.efb --json',
  ],
  async run(ctx) {
    const path = resolve(ctx.io.cwd, ctx.positionals[0] as string);
    const bundle = await inspectBundle(path);
    const summary = describeBundle(bundle.manifest, {
      signerKeyId: bundle.signature?.keyId,
      signerVerified: false,
      archiveSha256: bundle.archiveSha256,
    });
    printResult(ctx, { verified: false, bundle: summary.json }, [
      ...summary.lines,
      "not verified: run 'edgefleet bundle verify' with --keyring or --pub",
    ]);
  },
};
