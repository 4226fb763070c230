import type { SignedKeyring } from '@edgefleet/protocol';

/** What `keys keyring|rotate|inspect` print about a keyring: version, expiry, keys by role. */
export function describeKeyring(keyring: SignedKeyring): {
  lines: string[];
  json: Record<string, unknown>;
} {
  const doc = keyring.signed;
  const lines = [
    `keyring version ${doc.version}, issued ${doc.issuedAt}, expires ${doc.expires}`,
    ...doc.root.keys.map((k) => `  root     ${k.keyId}`),
    ...doc.keys.map((k) => `  ${k.role.padEnd(8)} ${k.keyId} (expires ${k.expires})`),
    `  signed by ${keyring.signatures.map((s) => s.keyId.slice(0, 16)).join(', ')}`,
  ];
  const json = {
    version: doc.version,
    issuedAt: doc.issuedAt,
    expires: doc.expires,
    root: doc.root.keys.map((k) => k.keyId),
    keys: doc.keys.map((k) => ({ keyId: k.keyId, role: k.role, expires: k.expires })),
    signedBy: keyring.signatures.map((s) => s.keyId),
  };
  return { lines, json };
}
