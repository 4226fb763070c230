import { join } from 'node:path';
import { generateKeyPair, keyIdOf, loadPublicKey } from '@edgefleet/protocol';
import type { CommandSpec } from '../command.js';
import { writeOutputFile } from '../file-io.js';
import { flag, oneOf, requiredString } from '../option-values.js';
import { printResult } from '../output.js';

export const KEY_ROLES = ['root', 'release', 'deploy'] as const;

export const keysGenerate: CommandSpec = {
  path: ['keys', 'generate'],
  summary: 'Create an Ed25519 key pair for a role (root, release or deploy)',
  description: [
    'Writes <dir>/<role>.key (PKCS#8 PEM, mode 0600) and <dir>/<role>.pub (SPKI PEM).',
    'root:    signs keyrings. Keep it offline; devices trust only its public key.',
    'release: signs bundle manifests (the compiler uses it).',
    'deploy:  signs desired state (the hub uses it).',
  ].join('\n'),
  options: {
    role: {
      type: 'string',
      valueName: 'root|release|deploy',
      description: 'What the key will sign',
    },
    out: { type: 'string', valueName: 'dir', description: 'Directory for the .key and .pub files' },
    force: { type: 'boolean', description: 'Replace existing key files' },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  examples: [
    'edgefleet keys generate --role root --out ./keys',
    'edgefleet keys generate --role release --out ./keys --json',
  ],
  async run(ctx) {
    const role = oneOf(ctx, 'role', KEY_ROLES);
    const dir = requiredString(ctx, 'out');
    const force = flag(ctx, 'force');
    const pair = generateKeyPair();
    const keyPath = join(dir, `${role}.key`);
    const pubPath = join(dir, `${role}.pub`);
    // The public half goes first: a crash in between leaves no orphaned private key.
    await writeOutputFile(pubPath, pair.publicKeyPem, { force, mode: 0o644 });
    await writeOutputFile(keyPath, pair.privateKeyPem, { force, mode: 0o600 });
    const keyId = keyIdOf(loadPublicKey(pair.publicKeyPem));
    printResult(ctx, { role, keyId, privateKey: keyPath, publicKey: pubPath }, [
      `${role} key ${keyId}`,
      `  private: ${keyPath} (mode 0600${role === 'root' ? '; keep it offline' : ''})`,
      `  public:  ${pubPath}`,
    ]);
  },
};
