import { createKeyring } from '@edgefleet/protocol';
import type { CommandSpec } from '../command.js';
import { writeOutputFile } from '../file-io.js';
import { expiryFrom, readPrivateKeyFile, readPublicKeyFile } from '../key-files.js';
import { flag, optionalString, requiredString, stringList } from '../option-values.js';
import { printResult } from '../output.js';
import { describeKeyring } from '../keyring-summary.js';

export const keysKeyring: CommandSpec = {
  path: ['keys', 'keyring'],
  summary: 'Write the first keyring (version 1), signed by the root key',
  description: [
    'The keyring says which keys may sign bundles (release) and desired state (deploy), and until',
    'when. Devices are provisioned with the root public key only and learn the keyring from the hub.',
    'Several keys per role: repeat the option or separate files with commas.',
  ].join('\n'),
  options: {
    root: {
      type: 'string',
      valueName: 'root.key',
      description: 'Root private key (PKCS#8 PEM) that signs the keyring',
    },
    release: {
      type: 'string',
      multiple: true,
      valueName: 'release.pub',
      description: 'Public key allowed to sign bundles',
    },
    deploy: {
      type: 'string',
      multiple: true,
      valueName: 'deploy.pub',
      description: 'Public key allowed to sign desired state',
    },
    expires: {
      type: 'string',
      valueName: 'duration',
      description: 'Keyring lifetime, e.g. 365d, 12h',
      defaultText: '365d',
    },
    'key-expires': {
      type: 'string',
      valueName: 'duration',
      description: 'Lifetime of the release/deploy keys',
      defaultText: 'same as --expires',
    },
    out: {
      type: 'string',
      valueName: 'keyring.json',
      description: 'Where to write the signed keyring',
    },
    force: { type: 'boolean', description: 'Replace an existing output file' },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  examples: [
    'edgefleet keys keyring --root keys/root.key --release keys/release.pub --deploy keys/deploy.pub --out keys/keyring.json',
    'edgefleet keys keyring --root keys/root.key --release a.pub,b.pub --deploy hub.pub --expires 90d --out keyring.json',
  ],
  async run(ctx) {
    const root = await readPrivateKeyFile(requiredString(ctx, 'root'), 'root key');
    const releasePaths = stringList(ctx, 'release');
    const deployPaths = stringList(ctx, 'deploy');
    const out = requiredString(ctx, 'out');
    const now = new Date();
    const expires = expiryFrom(optionalString(ctx, 'expires') ?? '365d', now);
    const keyExpiresText = optionalString(ctx, 'key-expires');
    const keyring = createKeyring({
      rootPrivateKey: root,
      release: await Promise.all(
        releasePaths.map((p) => readPublicKeyFile(p, 'release public key')),
      ),
      deploy: await Promise.all(deployPaths.map((p) => readPublicKeyFile(p, 'deploy public key'))),
      expires,
      ...(keyExpiresText === undefined ? {} : { keyExpires: expiryFrom(keyExpiresText, now) }),
      now,
    });
    await writeOutputFile(out, `${JSON.stringify(keyring, null, 2)}\n`, {
      force: flag(ctx, 'force'),
    });
    const summary = describeKeyring(keyring);
    printResult(ctx, { path: out, keyring: summary.json }, [`wrote ${out}`, ...summary.lines]);
  },
};
