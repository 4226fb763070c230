import { verifyKeyringChain } from '@edgefleet/protocol';
import type { SignedKeyring } from '@edgefleet/protocol';
import type { CommandSpec } from '../command.js';
import { readKeyringFile, readPublicKeyFile } from '../key-files.js';
import { describeKeyring } from '../keyring-summary.js';
import { optionalString } from '../option-values.js';
import { printResult } from '../output.js';

export const keysInspect: CommandSpec = {
  path: ['keys', 'inspect'],
  summary: 'Show a keyring and, with --root-pub, verify it as a device would',
  description: [
    'With --root-pub, the keyrings given are verified in order as a chain from that root public key',
    '(versions ascending, each signed by the previous root, root changes signed by both roots, the',
    'last one unexpired): exit 0 only when the whole chain verifies.',
  ].join('\n'),
  options: {
    'root-pub': {
      type: 'string',
      valueName: 'root.pub',
      description: 'Root public key a device is provisioned with',
    },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  positionals: [
    {
      name: 'keyring.json',
      description: 'Keyring file(s), oldest version first',
      required: true,
      variadic: true,
    },
  ],
  examples: [
    'edgefleet keys inspect keys/keyring.json',
    'edgefleet keys inspect keys/keyring.json keys/keyring-2.json --root-pub keys/root.pub',
  ],
  async run(ctx) {
    const chain: SignedKeyring[] = [];
    for (const path of ctx.positionals) chain.push(await readKeyringFile(path));
    const rootPath = optionalString(ctx, 'root-pub');
    let last = chain[chain.length - 1] as SignedKeyring;
    if (rootPath !== undefined)
      last = verifyKeyringChain(await readPublicKeyFile(rootPath, 'root public key'), chain);
    const summary = describeKeyring(last);
    const verdict =
      rootPath === undefined
        ? 'signatures not checked (pass --root-pub)'
        : 'verified from the root key';
    printResult(ctx, { verified: rootPath !== undefined, keyring: summary.json }, [
      ...summary.lines,
      verdict,
    ]);
  },
};
