/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). Every signature in edgefleet is computed over
 * these bytes, so two parties that parse the same JSON always hash the same bytes, whatever
 * key order or whitespace the sender used.
 */
import { ProtocolError } from './errors.js';

// A lone (unpaired) surrogate: in a `u` regex a well-formed pair is one code point and does
// not match this class, so only unpaired halves do.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const MAX_DEPTH = 128;

function fail(message: string, path: string): never {
  throw new ProtocolError('EF_PROTO_CANONICAL', `cannot canonicalize ${path}: ${message}`, {
    path,
  });
}

function serializeString(s: string, path: string): string {
  // [P-CJ-3] I-JSON (RFC 7493) forbids lone surrogates; JCS inherits that.
  if (LONE_SURROGATE.test(s)) fail('string contains a lone surrogate', path);
  // JSON.stringify escapes exactly what RFC 8785 section 3.2.2.2 asks for.
  return JSON.stringify(s);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function serialize(value: unknown, path: string, depth: number, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return serializeString(value, path);
    case 'number':
      // [P-CJ-2] ECMAScript Number::toString is the JCS number form; -0 prints as "0".
      if (!Number.isFinite(value)) fail(`number ${String(value)} is not finite`, path);
      return String(value);
    case 'object':
      break;
    default:
      return fail(`${typeof value} is not a JSON value`, path);
  }
  if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`, path);
  if (seen.has(value)) fail('cycle', path);
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const parts: string[] = [];
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined) fail('undefined array element', `${path}[${i}]`);
        parts.push(serialize(item, `${path}[${i}]`, depth + 1, seen));
      }
      return `[${parts.join(',')}]`;
    }
    if (!isPlainObject(value)) fail('not a plain object (Date, Map, class instance...)', path);
    const record = value as Record<string, unknown>;
    // [P-CJ-1] keys sorted by UTF-16 code units: exactly what the default sort compares.
    const keys = Object.keys(record).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const item = record[key];
      // [P-CJ-4] an undefined property is absent, as JSON.stringify would send it, so the
      // signed bytes equal the bytes a receiver canonicalizes.
      if (item === undefined) continue;
      const childPath = `${path}.${key}`;
      parts.push(
        `${serializeString(key, childPath)}:${serialize(item, childPath, depth + 1, seen)}`,
      );
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(value);
  }
}

/**
 * The RFC 8785 canonical JSON text of `value`. Throws `EF_PROTO_CANONICAL` for anything that is
 * not JSON data (non-finite numbers, bigint, functions, symbols, lone surrogates, Dates, cycles).
 *
 * @example
 * canonicalize({ b: 1, a: [1e21, -0] }); // '{"a":[1e+21,0],"b":1}'
 */
export function canonicalize(value: unknown): string {
  if (value === undefined) fail('undefined is not a JSON value', '$');
  return serialize(value, '$', 0, new Set());
}

/**
 * The UTF-8 bytes of {@link canonicalize}: what signatures are computed over.
 *
 * @example
 * canonicalBytes({ a: 'é' }).length; // 10
 */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
