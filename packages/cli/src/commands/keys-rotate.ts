import { rotateKeyring } from '@edgefleet/protocol';
import type { KeyObject } from 'node:crypto';
import type { CommandSpec } from '../command.js';
import { writeOutputFile } from '../file-io.js';
import {
  expiryFrom,
  readKeyringFile,
  readPrivateKeyFile,
  readPublicKeyFile,
} from '../key-files.js';
import { describeKeyring } from '../keyring-summary.js';
import { flag, optionalString, requiredString, stringList } from '../option-values.js';
import { printResult } from '../output.js';

export const keysRotate: CommandSpec = {
  path: ['keys', 'rotate'],
  summary: 'Write the next keyring version: new release/deploy keys, or a new root',
  description: [
    'Roles not named keep their current keys. Rotating the root needs both the current root key',
    '(--root) and the new one (--new-root): devices accept a new root only when the root they',
    'trust signed it, and the new root proves it holds its key. The result is checked against the',
    'current keyring before it is written.',
  ].join('\n'),
  options: {
    keyring: { type: 'string', valueName: 'keyring.json', description: 'The current keyring' },
    root: { type: 'string', valueName: 'root.key', description: 'Current root private key' },
    'new-root': {
      type: 'string',
      valueName: 'new-root.key',
      description: 'New root private key (rotates the root)',
    },
    release: {
      type: 'string',
      multiple: true,
      valueName: 'release.pub',
      description: 'Replace the release keys with these',
    },
    deploy: {
      type: 'string',
      multiple: true,
      valueName: 'deploy.pub',
      description: 'Replace the deploy keys with these',
    },
    expires: {
      type: 'string',
      valueName: 'duration',
      description: 'New keyring lifetime from now',
      defaultText: '365d',
    },
    'key-expires': {
      type: 'string',
      valueName: 'duration',
      description: 'Lifetime of newly named keys',
      defaultText: 'same as --expires',
    },
    out: {
      type: 'string',
      valueName: 'keyring.json',
      description: 'Where to write the new keyring',
    },
    force: { type: 'boolean', description: 'Replace an existing output file' },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  examples: [
    'edgefleet keys rotate --keyring keys/keyring.json --root keys/root.key --release keys/release2.pub --out keys/keyring-2.json',
    'edgefleet keys rotate --keyring keys/keyring-2.json --root keys/root.key --new-root keys2/root.key --out keys/keyring-3.json',
  ],
  async run(ctx) {
    const previous = await readKeyringFile(requiredString(ctx, 'keyring'));
    const root = await readPrivateKeyFile(requiredString(ctx, 'root'), 'root key');
    const newRootPath = optionalString(ctx, 'new-root');
    const newRoot =
      newRootPath === undefined ? undefined : await readPrivateKeyFile(newRootPath, 'new root key');
    const out = requiredString(ctx, 'out');
    const now = new Date();
    const expires = expiryFrom(optionalString(ctx, 'expires') ?? '365d', now);
    const keyExpiresText = optionalString(ctx, 'key-expires');
    const publicKeys = async (name: string, what: string): Promise<KeyObject[] | undefined> => {
      const paths = stringList(ctx, name);
      return paths.length === 0
        ? undefined
        : Promise.all(paths.map((p) => readPublicKeyFile(p, what)));
    };
    const release = await publicKeys('release', 'release public key');
    const deploy = await publicKeys('deploy', 'deploy public key');
    const next = rotateKeyring(previous, {
      signers: newRoot === undefined ? [root] : [root, newRoot],
      ...(newRoot === undefined ? {} : { root: [newRoot] }),
      ...(release === undefined ? {} : { release }),
      ...(deploy === undefined ? {} : { deploy }),
      expires,
      ...(keyExpiresText === undefined ? {} : { keyExpires: expiryFrom(keyExpiresText, now) }),
      now,
    });
    await writeOutputFile(out, `${JSON.stringify(next, null, 2)}\n`, { force: flag(ctx, 'force') });
    const summary = describeKeyring(next);
    printResult(ctx, { path: out, keyring: summary.json }, [`wrote ${out}`, ...summary.lines]);
  },
};
