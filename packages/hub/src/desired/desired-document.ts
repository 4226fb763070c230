/**
 * Building and signing one device's desired-state document ([P-DS-1], [P-DS-2]) and reading
 * back what the last stored envelope said.
 */
import type { KeyObject } from 'node:crypto';
import { parseDesiredEnvelope, signDesiredState } from '@edgefleet/protocol';
import type { DesiredEnvelope, DesiredModel, SignedKeyring } from '@edgefleet/protocol';

/** Everything that goes into one document besides the models. */
export interface DesiredDocumentInput {
  deviceId: string;
  version: number;
  issuedAt: number;
  ttlMs: number;
  models: DesiredModel[];
  allowDowngrade: boolean;
  deployKey: KeyObject;
  keyring: SignedKeyring;
}

/**
 * Signs a desired state with the deploy key and wraps it with the keyring that lists that key.
 *
 * @example
 * const envelope = signDesiredDocument({ deviceId: 'd1', version: 3, issuedAt: Date.now(),
 *   ttlMs: 7 * 86_400_000, models, allowDowngrade: false, deployKey, keyring });
 */
export function signDesiredDocument(input: DesiredDocumentInput): DesiredEnvelope {
  return signDesiredState(
    {
      type: 'edgefleet-desired',
      device: input.deviceId,
      version: input.version,
      issuedAt: new Date(input.issuedAt).toISOString(),
      expires: new Date(input.issuedAt + input.ttlMs).toISOString(),
      models: input.models,
      allowDowngrade: input.allowDowngrade,
    },
    input.deployKey,
    input.keyring,
  );
}

/** What a stored envelope says (the hub wrote it, so it parses; anything else counts as empty). */
export function readStoredEnvelope(envelopeJson: string | undefined): {
  models: DesiredModel[];
  allowDowngrade: boolean;
  issuedAt: number | undefined;
} {
  if (envelopeJson === undefined) return { models: [], allowDowngrade: false, issuedAt: undefined };
  try {
    const { signed } = parseDesiredEnvelope(envelopeJson);
    return {
      models: signed.models,
      allowDowngrade: signed.allowDowngrade,
      issuedAt: Date.parse(signed.issuedAt),
    };
  } catch {
    return { models: [], allowDowngrade: false, issuedAt: undefined };
  }
}
