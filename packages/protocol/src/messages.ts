/**
 * Parsers of the signed documents that have no module of their own, and the table of every
 * parser the package offers (the hub and agent dispatch on it; the tests fuzz all of it).
 */
import { parseAck } from './ack.js';
import { parseBlobRequest } from './blob.js';
import { parseDesiredEnvelope } from './desired-state.js';
import { SignedKeyringSchema } from './keyring-schema.js';
import type { SignedKeyring } from './keyring-schema.js';
import { parseManifest } from './manifest.js';
import { parseJson } from './parse-json.js';
import { parseBirth, parseDeath, parseHubState } from './presence.js';
import { SignatureSchema } from './signing.js';
import type { Signature } from './signing.js';
import { parseStatus } from './status.js';
import { parseTelemetryBatch } from './telemetry.js';

/**
 * Parses a signed keyring envelope without verifying it (use `verifyKeyring`).
 *
 * @example
 * const keyring = parseKeyringEnvelope(readFileSync('keyring.json'));
 */
export function parseKeyringEnvelope(input: unknown): SignedKeyring {
  return parseJson(input, SignedKeyringSchema, 'keyring');
}

/**
 * Parses a detached signature (a bundle's `signature.json`).
 *
 * @example
 * const signature = parseSignature(readFileSync('signature.json'));
 */
export function parseSignature(input: unknown): Signature {
  return parseJson(input, SignatureSchema, 'signature');
}

/** Every message parser by name; each throws only `ProtocolError`. */
export const messageParsers = {
  desired: parseDesiredEnvelope,
  status: parseStatus,
  telemetry: parseTelemetryBatch,
  ack: parseAck,
  birth: parseBirth,
  death: parseDeath,
  blobRequest: parseBlobRequest,
  hubState: parseHubState,
  keyring: parseKeyringEnvelope,
  signature: parseSignature,
  manifest: parseManifest,
} as const;
