import {
  loadPrivateKey,
  loadPublicKey,
  parseDuration,
  parseKeyringEnvelope,
} from '@edgefleet/protocol';
import type { KeyObject } from 'node:crypto';
import type { SignedKeyring } from '@edgefleet/protocol';
import { readInputText } from './file-io.js';

/** Reads a PKCS#8 PEM private key file (EF_CLI_FILE_READ, EF_PROTO_KEY_INVALID). */
export async function readPrivateKeyFile(path: string, what: string): Promise<KeyObject> {
  return loadPrivateKey(await readInputText(path, what));
}

/** Reads an SPKI PEM (or raw base64) public key file. */
export async function readPublicKeyFile(path: string, what: string): Promise<KeyObject> {
  return loadPublicKey((await readInputText(path, what)).trim());
}

/** Reads a keyring file and checks its shape (not its signatures). */
export async function readKeyringFile(path: string): Promise<SignedKeyring> {
  return parseKeyringEnvelope(await readInputText(path, 'keyring'));
}

/** `--expires 365d` style option, as an absolute date from now. */
export function expiryFrom(text: string, now = new Date()): Date {
  return new Date(now.getTime() + parseDuration(text));
}
