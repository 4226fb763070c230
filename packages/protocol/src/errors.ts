/**
 * Coded errors. Every error edgefleet raises on bad input carries a stable `code`
 * (`EF_<AREA>_<WHAT>`) that scripts can match on, a message that says what was wrong
 * and where, and optional structured `details`. Every code is listed in `docs/errors.md`;
 * a test keeps the two in sync.
 */
export class EdgefleetError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
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
} as const satisfies Record<string, string>;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/** An error raised by the protocol package: bad documents, signatures, keys, topics. */
export class ProtocolError extends EdgefleetError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(code, message, details, options);
    this.name = 'ProtocolError';
  }
}
