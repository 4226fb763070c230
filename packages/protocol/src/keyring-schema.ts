/**
 * The keyring document (TUF-lite root metadata): which keys may sign bundles ("release") and
 * desired state ("deploy"), signed by the root key(s) it lists.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { decodeBase64Strict } from './encoding.js';
import {
  KeyIdSchema,
  PositiveIntSchema,
  PublicKeyBase64Schema,
  TimestampSchema,
} from './schema-primitives.js';
import { signedEnvelopeSchema } from './signing.js';
import type { Signed } from './signing.js';

/** The roles a keyring key can have. [P-KR-3] */
export const KEY_ROLES = ['release', 'deploy'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

const RootKeySchema = z.strictObject({ keyId: KeyIdSchema, publicKey: PublicKeyBase64Schema });
const RoleKeySchema = z.strictObject({
  keyId: KeyIdSchema,
  role: z.enum(KEY_ROLES),
  publicKey: PublicKeyBase64Schema,
  expires: TimestampSchema,
});

function keyIdOfBase64(publicKey: string): string | undefined {
  const raw = decodeBase64Strict(publicKey);
  return raw && createHash('sha256').update(raw).digest('hex');
}

/** [P-KR-1] The keyring document. Strict: unknown fields are refused (it is signed). */
export const KeyringSchema = z
  .strictObject({
    type: z.literal('edgefleet-keyring'),
    version: PositiveIntSchema,
    issuedAt: TimestampSchema,
    expires: TimestampSchema,
    root: z.strictObject({ keys: z.array(RootKeySchema).min(1).max(8) }),
    keys: z.array(RoleKeySchema).max(64),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    const check = (keyId: string, publicKey: string, path: (string | number)[]) => {
      // [P-KR-2] a key id must be the digest of the key it stands for.
      if (keyIdOfBase64(publicKey) !== keyId) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'keyId'],
          message: 'keyId is not sha256 of publicKey',
        });
      }
      // [P-KR-3] one key, one role: root keys never sign bundles or desired state, and no key
      // is both release and deploy, so one stolen key cannot do both.
      if (seen.has(keyId)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'keyId'], message: 'key listed twice' });
      }
      seen.add(keyId);
    };
    doc.root.keys.forEach((k, i) => check(k.keyId, k.publicKey, ['root', 'keys', i]));
    doc.keys.forEach((k, i) => check(k.keyId, k.publicKey, ['keys', i]));
    if (Date.parse(doc.expires) <= Date.parse(doc.issuedAt)) {
      ctx.addIssue({ code: 'custom', path: ['expires'], message: 'expires is not after issuedAt' });
    }
  });
export type Keyring = z.output<typeof KeyringSchema>;

/** A keyring in its signed envelope. */
export const SignedKeyringSchema = signedEnvelopeSchema(KeyringSchema);
export type SignedKeyring = Signed<Keyring>;
