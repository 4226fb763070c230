/**
 * The one path by which bytes from outside become typed values. Every parser of the package
 * goes through {@link parseJson}, so every parser has the same size cap, the same refusal of
 * prototype-pollution keys and the same error shape.
 */
import type { z } from 'zod';
import { ProtocolError } from './errors.js';

/** [P-MS-1] Default cap for one message: 256 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_DEPTH = 64;
const MAX_ISSUES_IN_DETAILS = 10;
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** Options of {@link parseJson}. */
export type ParseJsonOptions = {
  /** Size cap in bytes for string/Buffer input (default 256 KiB). */
  maxBytes?: number;
};

/** Formats a zod issue path as `models[0].sha256` (`$` for the root). */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '$' : out;
}

function checkKeys(value: unknown, what: string, path: PropertyKey[]): void {
  if (typeof value !== 'object' || value === null) return;
  if (path.length > MAX_DEPTH) {
    throw new ProtocolError(
      'EF_PROTO_SCHEMA',
      `${what}: ${formatPath(path)}: nested deeper than ${MAX_DEPTH} levels`,
      { what, path: formatPath(path) },
    );
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkKeys(item, what, [...path, i]));
    return;
  }
  for (const key of Object.keys(value)) {
    // [P-MS-3] JSON.parse makes "__proto__" an own key; a later spread or merge would
    // make it the prototype. Refuse it outright instead of relying on every consumer.
    if (FORBIDDEN_KEYS.has(key)) {
      throw new ProtocolError(
        'EF_PROTO_SCHEMA',
        `${what}: ${formatPath([...path, key])}: forbidden key "${key}"`,
        { what, path: formatPath([...path, key]) },
      );
    }
    checkKeys((value as Record<string, unknown>)[key], what, [...path, key]);
  }
}

/**
 * Decodes bytes or text to a JSON value with the size cap; other values pass through.
 * Throws `EF_PROTO_TOO_LARGE` or `EF_PROTO_JSON`.
 */
export function decodeJson(input: unknown, what: string, options: ParseJsonOptions = {}): unknown {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let text: string;
  if (typeof input === 'string') {
    // Cheap pre-check before measuring: UTF-8 takes at most 3 bytes per UTF-16 unit.
    const bytes = input.length * 3 <= maxBytes ? input.length : Buffer.byteLength(input, 'utf8');
    if (bytes > maxBytes) throw tooLarge(what, bytes, maxBytes);
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw tooLarge(what, input.byteLength, maxBytes);
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      throw new ProtocolError('EF_PROTO_JSON', `${what}: not valid UTF-8`, { what });
    }
  } else {
    return input;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ProtocolError('EF_PROTO_JSON', `${what}: not valid JSON (${reason})`, { what });
  }
}

function tooLarge(what: string, bytes: number, maxBytes: number): ProtocolError {
  return new ProtocolError(
    'EF_PROTO_TOO_LARGE',
    `${what}: ${bytes} bytes is over the ${maxBytes}-byte cap`,
    { what, bytes, maxBytes },
  );
}

/**
 * Validates an already-decoded value against `schema`. Throws `EF_PROTO_SCHEMA` naming the path.
 */
export function validate<S extends z.ZodType>(
  value: unknown,
  schema: S,
  what: string,
): z.output<S> {
  try {
    checkKeys(value, what, []);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(
      'EF_PROTO_SCHEMA',
      `${what}: cannot be read as data`,
      { what },
      {
        cause: err,
      },
    );
  }
  let result: ReturnType<S['safeParse']>;
  try {
    result = schema.safeParse(value) as ReturnType<S['safeParse']>;
  } catch (err) {
    // Exotic inputs (throwing getters, proxies) must still come out as a coded error.
    throw new ProtocolError(
      'EF_PROTO_SCHEMA',
      `${what}: cannot be read as data`,
      { what },
      {
        cause: err,
      },
    );
  }
  if (result.success) return result.data as z.output<S>;
  const issues = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    code: issue.code,
    message: issue.message,
  }));
  const first = issues[0] ?? { path: '$', message: 'invalid' };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ProtocolError('EF_PROTO_SCHEMA', `${what}: ${first.path}: ${first.message}${more}`, {
    what,
    issues: issues.slice(0, MAX_ISSUES_IN_DETAILS),
  });
}

/**
 * Parses bytes, text or an already-decoded value into `schema`'s type. Never throws anything but
 * a `ProtocolError`: `EF_PROTO_TOO_LARGE`, `EF_PROTO_JSON` or `EF_PROTO_SCHEMA`.
 *
 * @example
 * const ack = parseJson(payload, AckSchema, 'ack'); // typed Ack
 */
export function parseJson<S extends z.ZodType>(
  input: unknown,
  schema: S,
  what: string,
  options: ParseJsonOptions = {},
): z.output<S> {
  return validate(decodeJson(input, what, options), schema, what);
}
