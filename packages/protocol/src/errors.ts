/**
 * Coded errors. Every error edgefleet raises on bad input carries a stable `code`
 * (`EF_<AREA>_<WHAT>`) that scripts can match on, a message that says what was wrong
 * and where, and optional structured `details`. Every code is listed in `docs/errors.md`;
 * a test keeps the two in sync.
 */
export class EdgefleetError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: string,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EdgefleetError';
    this.code = code;
    this.details = details === undefined ? undefined : Object.freeze({ ...details });
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: { ...this.details } };
  }
}

/** True when `err` is an {@link EdgefleetError}, optionally with the given code. */
export function isEdgefleetError(err: unknown, code?: string): err is EdgefleetError {
  return err instanceof EdgefleetError && (code === undefined || err.code === code);
}

/**
 * The protocol package's error codes and what each means. `docs/errors.md` lists the same.
 */
export const PROTOCOL_ERROR_CODES = {
  EF_PROTO_SCHEMA: 'A message or document does not match its schema; the message names the path.',
  EF_PROTO_JSON: 'A message is not valid UTF-8 JSON.',
  EF_PROTO_TOO_LARGE: 'A message or document is larger than the size cap for its kind.',
  EF_PROTO_CANONICAL:
    'A value cannot be canonicalized (RFC 8785): non-finite number, bigint, function, symbol, lone surrogate, non-plain object or cycle.',
  EF_PROTO_KEY_INVALID:
    'A key is not a valid Ed25519 key of the expected kind (private or public).',
  EF_PROTO_SIGNATURE_INVALID: 'A signature does not verify against the document and key it claims.',
  EF_PROTO_KEY_UNKNOWN: 'A document is signed by a key id that the trusted keyring does not list.',
  EF_PROTO_KEY_EXPIRED: 'A document is signed by a keyring key that has expired.',
  EF_PROTO_KEY_ROLE:
    'A document is signed by a keyring key whose role does not allow it (release vs deploy).',
  EF_PROTO_KEYRING_VERSION:
    'A keyring version is not higher than the trusted one (replay or rollback).',
  EF_PROTO_KEYRING_SIGNATURE: 'A keyring is not signed by a key of the trusted root.',
  EF_PROTO_KEYRING_ROOT: 'A keyring that changes the root is not also signed by its new root.',
  EF_PROTO_KEYRING_EXPIRED: 'A keyring has expired (freeze attack or stale keyring).',
  EF_PROTO_DESIRED_REPLAY:
    'A desired-state version is lower than or equal to the last accepted one (replay or rollback).',
  EF_PROTO_DESIRED_EXPIRED: 'A desired-state document has expired (freeze attack).',
  EF_PROTO_DESIRED_DEVICE: 'A desired-state document is addressed to another device.',
  EF_PROTO_DESIRED_DOWNGRADE:
    'A desired-state document asks for a model version lower than installed without allowDowngrade.',
  EF_PROTO_SEMVER: 'A version string is not SemVer 2.0.0.',
  EF_PROTO_TOPIC: 'An MQTT topic is not part of the ef/v1 layout.',
  EF_PROTO_DEVICE_ID: 'A device id is not of the form ^[a-z0-9][a-z0-9._-]{0,63}$.',
  EF_PROTO_FRAME: 'A binary blob response frame is truncated or its lengths disagree.',
  EF_PROTO_DURATION: "A duration is not of the form <integer><ms|s|m|h|d|w> (e.g. '365d').",
  EF_PROTO_ARGUMENT: 'A function of the protocol package was called with invalid arguments.',
} as const satisfies Record<string, string>;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/** An error raised by the protocol package: bad documents, signatures, keys, topics. */
export class ProtocolError extends EdgefleetError {
  declare readonly code: ProtocolErrorCode;

  constructor(
    code: ProtocolErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'ProtocolError';
  }
}
