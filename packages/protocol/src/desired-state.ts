/**
 * Desired state: the signed, retained document that tells one device which models to run.
 */
import { z } from 'zod';
import { ProtocolError } from './errors.js';
import type { PrivateKeyInput, PublicKeyInput } from './keys.js';
import { SignedKeyringSchema } from './keyring-schema.js';
import type { SignedKeyring } from './keyring-schema.js';
import { advanceKeyring } from './keyring-verify.js';
import { decodeJson, parseJson, validate } from './parse-json.js';
import { verifyRoleSignatures } from './role-signatures.js';
import {
  CountSchema,
  DeviceIdSchema,
  IdentifierSchema,
  ModelNameSchema,
  PositiveIntSchema,
  SemverStringSchema,
  Sha256HexSchema,
  TimestampSchema,
} from './schema-primitives.js';
import { compareSemver } from './semver.js';
import { signEnvelope, signedEnvelopeSchema } from './signing.js';
import type { Signature } from './signing.js';

/** One model the device should run. */
export const DesiredModelSchema = z.strictObject({
  name: ModelNameSchema,
  version: SemverStringSchema,
  /** sha256 of the whole `.efb` bundle file. */
  sha256: Sha256HexSchema,
  bytes: CountSchema,
  /** Optional HTTP(S) URL for a range download instead of MQTT blob transfer. */
  url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  rolloutId: IdentifierSchema.optional(),
  wave: CountSchema.optional(),
});
export type DesiredModel = z.output<typeof DesiredModelSchema>;

/** [P-DS-1] The desired-state document. Strict: it is signed. */
export const DesiredStateSchema = z
  .strictObject({
    type: z.literal('edgefleet-desired'),
    device: DeviceIdSchema,
    version: PositiveIntSchema,
    issuedAt: TimestampSchema,
    expires: TimestampSchema,
    models: z
      .array(DesiredModelSchema)
      .max(64)
      .refine(
        (ms) => new Set(ms.map((m) => m.name)).size === ms.length,
        'a model name appears twice',
      ),
    allowDowngrade: z.boolean(),
  })
  .refine((d) => Date.parse(d.expires) > Date.parse(d.issuedAt), {
    message: 'expires is not after issuedAt',
    path: ['expires'],
  });
export type DesiredState = z.output<typeof DesiredStateSchema>;

/**
 * [P-DS-2] What travels on `ef/v1/d/{id}/desired`: the signed document, the keyring that lists
 * its signer, and (optionally) older keyrings a long-offline device needs to walk a root
 * rotation.
 */
export const DesiredEnvelopeSchema = signedEnvelopeSchema(DesiredStateSchema).extend({
  keyring: SignedKeyringSchema,
  keyringChain: z.array(SignedKeyringSchema).max(16).optional(),
});
export type DesiredEnvelope = {
  signed: DesiredState;
  signatures: Signature[];
  keyring: SignedKeyring;
  keyringChain?: SignedKeyring[];
};

/**
 * Parses a desired-state envelope without verifying it (use {@link verifyDesiredState}).
 *
 * @example
 * const envelope = parseDesiredEnvelope(payload);
 */
export function parseDesiredEnvelope(input: unknown): DesiredEnvelope {
  return parseJson(input, DesiredEnvelopeSchema, 'desired state');
}

/**
 * Signs a desired state with the hub's deploy key(s) and wraps it with the keyring.
 *
 * @example
 * const envelope = signDesiredState(desired, deployKeyPem, keyring);
 */
export function signDesiredState(
  desired: DesiredState,
  deployPrivateKey: PrivateKeyInput | PrivateKeyInput[],
  keyring: SignedKeyring,
  options: { keyringChain?: SignedKeyring[] } = {},
): DesiredEnvelope {
  const doc = validate(desired, DesiredStateSchema, 'desired state');
  const keys = Array.isArray(deployPrivateKey) ? deployPrivateKey : [deployPrivateKey];
  const envelope: DesiredEnvelope = { ...signEnvelope(doc, keys), keyring };
  if (options.keyringChain) envelope.keyringChain = options.keyringChain;
  return validate(envelope, DesiredEnvelopeSchema, 'desired state');
}

/** What the device knows when it checks a desired state. */
export type VerifyDesiredOptions = {
  deviceId: string;
  /** The device's latest trusted keyring; or, before it has one, its provisioned root key(s). */
  trustedKeyring?: SignedKeyring;
  rootPublicKey?: PublicKeyInput | PublicKeyInput[];
  /** The highest desired-state version the device has accepted. */
  lastVersion?: number;
  now?: Date;
  /** Installed model versions by name, for the downgrade rule. */
  installed?: Readonly<Record<string, string>>;
};

/**
 * Verifies a desired-state envelope as the device does and returns the document and the keyring
 * to trust from now on (possibly newer than the one passed in). Check order: schema, keyring,
 * signatures, device, expiry, version, downgrade, so that nothing unauthenticated is judged.
 *
 * @example
 * const { desired, keyring } = verifyDesiredState(payload, {
 *   deviceId: 'press-7', trustedKeyring, lastVersion: 41, installed: { 'pump-anomaly': '1.2.0' } });
 */
export function verifyDesiredState(
  input: unknown,
  options: VerifyDesiredOptions,
): { desired: DesiredState; keyring: SignedKeyring } {
  const now = options.now ?? new Date();
  const raw = decodeJson(input, 'desired state');
  const envelope = validate(raw, DesiredEnvelopeSchema, 'desired state');
  const roots = options.rootPublicKey;
  if (!options.trustedKeyring && roots === undefined) {
    throw new ProtocolError(
      'EF_PROTO_ARGUMENT',
      'verifyDesiredState needs trustedKeyring or rootPublicKey',
    );
  }
  // [P-DS-4] trust moves forward only through keyrings that chain to what the device trusts.
  const keyring = advanceKeyring(
    {
      ...(options.trustedKeyring ? { trusted: options.trustedKeyring } : {}),
      ...(roots !== undefined ? { trustedRootKeys: Array.isArray(roots) ? roots : [roots] } : {}),
    },
    [...(envelope.keyringChain ?? []), envelope.keyring],
    now,
  );
  // [P-DS-5] signed by deploy keys of the trusted keyring, over the document as received.
  verifyRoleSignatures(
    (raw as { signed: unknown }).signed,
    envelope.signatures,
    keyring,
    'deploy',
    now,
  );
  const desired = envelope.signed;
  // [P-DS-6] mix-and-match: a document for another device is refused.
  if (desired.device !== options.deviceId) {
    throw new ProtocolError(
      'EF_PROTO_DESIRED_DEVICE',
      `desired state is for device ${desired.device}, not ${options.deviceId}`,
      { device: desired.device, deviceId: options.deviceId },
    );
  }
  // [P-DS-7] freeze: an expired document is refused.
  if (now.getTime() >= Date.parse(desired.expires)) {
    throw new ProtocolError(
      'EF_PROTO_DESIRED_EXPIRED',
      `desired state expired at ${desired.expires}`,
      {
        version: desired.version,
        expires: desired.expires,
      },
    );
  }
  // [P-DS-3] refuse replays: the version must rise strictly.
  if (options.lastVersion !== undefined && desired.version <= options.lastVersion) {
    throw new ProtocolError(
      'EF_PROTO_DESIRED_REPLAY',
      `desired state version ${desired.version} is not above the last accepted ${options.lastVersion}`,
      { version: desired.version, lastVersion: options.lastVersion },
    );
  }
  // [P-DS-8] no silent downgrade: rolling back needs the signed allowDowngrade.
  if (!desired.allowDowngrade && options.installed) {
    for (const model of desired.models) {
      const installed = Object.hasOwn(options.installed, model.name)
        ? options.installed[model.name]
        : undefined;
      if (installed !== undefined && compareSemver(model.version, installed) < 0) {
        throw new ProtocolError(
          'EF_PROTO_DESIRED_DOWNGRADE',
          `desired state asks for ${model.name} ${model.version}, below installed ${installed}, without allowDowngrade`,
          { model: model.name, version: model.version, installed },
        );
      }
    }
  }
  return { desired, keyring };
}
