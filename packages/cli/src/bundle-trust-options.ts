import { resolve } from 'node:path';
import { keyIdOf, verifyKeyringChain } from '@edgefleet/protocol';
import type { KeyObject } from 'node:crypto';
import type { SignedKeyring } from '@edgefleet/protocol';
import type { CommandContext } from './command.js';
import { CliError } from './errors.js';
import { readKeyringFile, readPublicKeyFile } from './key-files.js';
import { optionalString, stringList } from './option-values.js';

/** The trust anchor `bundle verify` was given, and how far it was itself checked. */
export type BundleTrustChoice =
  | {
      readonly kind: 'keyring';
      readonly keyring: SignedKeyring;
      /** True when the keyring chain was verified from --root-pub. */
      readonly keyringVerified: boolean;
      readonly rootKeyId: string | undefined;
    }
  | { readonly kind: 'public-key'; readonly publicKey: KeyObject; readonly keyId: string };

function usage(message: string): CliError {
  return new CliError('EF_CLI_USAGE', `${message}. Run with --help for the options.`);
}

/**
 * Reads `--keyring` (repeatable: a chain, oldest first) with optional `--root-pub`, or `--pub`.
 * Exactly one of `--keyring` and `--pub` is required (EF_CLI_USAGE otherwise). With `--root-pub`
 * the chain is verified from the root as a device would ([P-KR-6..9]) before it is used.
 */
export async function readBundleTrust(ctx: CommandContext): Promise<BundleTrustChoice> {
  const keyrings = stringList(ctx, 'keyring').map((p) => resolve(ctx.io.cwd, p));
  const rootPub = optionalString(ctx, 'root-pub');
  const pub = optionalString(ctx, 'pub');
  if (keyrings.length === 0 && pub === undefined) {
    throw usage(
      'give --keyring <keyring.json> (with --root-pub <root.pub>) or --pub <release.pub>',
    );
  }
  if (keyrings.length > 0 && pub !== undefined) throw usage('give --keyring or --pub, not both');
  if (rootPub !== undefined && keyrings.length === 0) throw usage('--root-pub needs --keyring');
  if (pub !== undefined) {
    const publicKey = await readPublicKeyFile(resolve(ctx.io.cwd, pub), 'release public key');
    return { kind: 'public-key', publicKey, keyId: keyIdOf(publicKey) };
  }
  const chain: SignedKeyring[] = [];
  for (const path of keyrings) chain.push(await readKeyringFile(path));
  if (rootPub === undefined) {
    return {
      kind: 'keyring',
      keyring: chain[chain.length - 1] as SignedKeyring,
      keyringVerified: false,
      rootKeyId: undefined,
    };
  }
  const root = await readPublicKeyFile(resolve(ctx.io.cwd, rootPub), 'root public key');
  return {
    kind: 'keyring',
    keyring: verifyKeyringChain(root, chain),
    keyringVerified: true,
    rootKeyId: keyIdOf(root),
  };
}

/** One line (and a JSON value) saying what the bundle was verified against. */
export function describeTrust(trust: BundleTrustChoice): {
  line: string;
  json: Record<string, unknown>;
} {
  if (trust.kind === 'public-key') {
    return {
      line: `trust: the given release public key ${trust.keyId} (no keyring: no role or expiry check)`,
      json: { kind: 'public-key', keyId: trust.keyId },
    };
  }
  const version = trust.keyring.signed.version;
  return trust.keyringVerified
    ? {
        line: `trust: keyring version ${version}, verified from root key ${trust.rootKeyId ?? ''}`,
        json: {
          kind: 'keyring',
          keyringVersion: version,
          keyringVerified: true,
          rootKeyId: trust.rootKeyId,
        },
      }
    : {
        line: `trust: keyring version ${version}; WARNING: the keyring itself was NOT checked against a root key (pass --root-pub)`,
        json: { kind: 'keyring', keyringVersion: version, keyringVerified: false },
      };
}
