import { resolve } from 'node:path';
import { openBundle } from '@edgefleet/runtime';
import { describeBundle } from '../bundle-summary.js';
import { describeTrust, readBundleTrust } from '../bundle-trust-options.js';
import type { CommandSpec } from '../command.js';
import { printResult } from '../output.js';

export const bundleVerify: CommandSpec = {
  path: ['bundle', 'verify'],
  summary: 'Verify a bundle (.efb): signature by a release key and every file digest',
  description: [
    'Checks, as a device does: the archive is safe to read, signature.json verifies over',
    'manifest.json as stored and is by an unexpired release key of the keyring (or by the key',
    'given with --pub), the manifest matches the schema, every file matches its sha256 in the',
    'manifest and no file is unlisted. Exit 0 only when all of it holds, else 1 with the code.',
    'With --root-pub the keyring (or chain, oldest first) is first verified from the root key;',
    'without it the keyring is taken as given, and the output says so.',
  ].join('\n'),
  options: {
    keyring: {
      type: 'string',
      multiple: true,
      valueName: 'keyring.json',
      description: 'Trusted keyring; repeat for a chain, oldest first',
    },
    'root-pub': {
      type: 'string',
      valueName: 'root.pub',
      description: 'Root public key to verify the keyring from first',
    },
    pub: {
      type: 'string',
      valueName: 'release.pub',
      description: 'Release public key to trust directly, instead of a keyring',
    },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  positionals: [{ name: 'bundle.efb', description: 'The bundle to verify', required: true }],
  examples: [
    'edgefleet bundle verify dist/pump-anomaly-1.2.0.efb --keyring keys/keyring.json --root-pub keys/root.pub',
    'edgefleet bundle verify dist/pump-anomaly-1.2.0.efb --pub keys/release.pub --json',
  ],
  async run(ctx) {
    const path = resolve(ctx.io.cwd, ctx.positionals[0] as string);
    const trust = await readBundleTrust(ctx);
    const bundle = await openBundle(
      path,
      trust.kind === 'keyring' ? { keyring: trust.keyring } : { publicKey: trust.publicKey },
    );
    const summary = describeBundle(bundle.manifest, {
      signerKeyId: bundle.signature.keyId,
      signerVerified: true,
      archiveSha256: bundle.archiveSha256,
    });
    const trustText = describeTrust(trust);
    printResult(ctx, { verified: true, trust: trustText.json, bundle: summary.json }, [
      ...summary.lines,
      trustText.line,
      `verified: signature by ${bundle.signature.keyId} and ${Object.keys(bundle.manifest.files).length} file digest(s) check out`,
    ]);
  },
};
