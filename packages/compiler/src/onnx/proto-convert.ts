import protobuf from 'protobufjs';

import { OnnxError } from './onnx-errors.js';

/**
 * Converts between protobufjs' decoded messages (Long for int64, Buffer for
 * bytes, defaults on prototypes) and the plain, lossless objects of
 * `onnx-types.ts` (bigint, Uint8Array, own properties only when present).
 *
 * Driven by the schema's reflection so every field the schema defines is
 * covered, with no hand-written per-message code to drift out of sync.
 */

type FieldKind = 'message' | 'int64' | 'uint64' | 'bytes' | 'string' | 'int32' | 'float' | 'bool';

interface FieldPlan {
  readonly name: string;
  readonly repeated: boolean;
  readonly kind: FieldKind;
  readonly messageType: protobuf.Type | undefined;
}

/** Deepest message nesting accepted when encoding; matches protobufjs' decode limit. */
const MAX_DEPTH = protobuf.util.recursionLimit;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const plans = new Map<protobuf.Type, readonly FieldPlan[]>();

function fieldKind(field: protobuf.Field): FieldKind {
  if (field.resolvedType instanceof protobuf.Type) return 'message';
  if (field.resolvedType instanceof protobuf.Enum) return 'int32';
  switch (field.type) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return 'int64';
    case 'uint64':
    case 'fixed64':
      return 'uint64';
    case 'bytes':
      return 'bytes';
    case 'string':
      return 'string';
    case 'bool':
      return 'bool';
    case 'float':
    case 'double':
      return 'float';
    default:
      return 'int32';
  }
}

function planFor(type: protobuf.Type): readonly FieldPlan[] {
  let plan = plans.get(type);
  if (plan === undefined) {
    plan = type.fieldsArray.map((field) => {
      field.resolve();
      const kind = fieldKind(field);
      return {
        name: field.name,
        repeated: field.repeated,
        kind,
        messageType: kind === 'message' ? (field.resolvedType as protobuf.Type) : undefined,
      };
    });
    plans.set(type, plan);
  }
  return plan;
}

interface LongLike {
  low: number;
  high: number;
}

function isLongLike(value: unknown): value is LongLike {
  return typeof value === 'object' && value !== null && 'low' in value && 'high' in value;
}

/** Exact int64 from protobufjs' Long (or a number, when Long is not loaded). */
function longToBigInt(value: unknown, unsigned: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'bigint') return value;
  if (isLongLike(value)) {
    const combined = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return unsigned ? combined : BigInt.asIntN(64, combined);
  }
  throw new TypeError(`not an int64: ${typeof value}`);
}

/** A view of bytes as a plain Uint8Array (protobufjs hands out Buffer slices); no copy. */
function plainBytes(value: Uint8Array): Uint8Array {
  return value.constructor === Uint8Array
    ? value
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function fromDecodedValue(field: FieldPlan, value: unknown): unknown {
  switch (field.kind) {
    case 'message':
      return fromDecoded(field.messageType as protobuf.Type, value as Record<string, unknown>);
    case 'int64':
      return longToBigInt(value, false);
    case 'uint64':
      return longToBigInt(value, true);
    case 'bytes':
      return plainBytes(value as Uint8Array);
    default:
      return value;
  }
}

/**
 * A decoded protobufjs message as a plain object: own properties only for
 * fields that were on the wire, arrays for every repeated field, bigint for
 * int64, Uint8Array for bytes, and `$unknowns` when the wire had unknown fields.
 */
export function fromDecoded(
  type: protobuf.Type,
  message: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of planFor(type)) {
    const value = message[field.name];
    if (field.repeated) {
      const items = Array.isArray(value) ? value : [];
      out[field.name] =
        field.kind === 'int32' || field.kind === 'float' || field.kind === 'string'
          ? [...items]
          : items.map((item) => fromDecodedValue(field, item));
    } else if (
      value !== undefined &&
      value !== null &&
      Object.prototype.hasOwnProperty.call(message, field.name)
    ) {
      out[field.name] = fromDecodedValue(field, value);
    }
  }
  const unknowns = message.$unknowns;
  if (Array.isArray(unknowns) && unknowns.length > 0) {
    out.$unknowns = unknowns.map((record: Uint8Array) => plainBytes(record));
  }
  return out;
}

function encodeError(path: string, expected: string, value: unknown): OnnxError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return new OnnxError(
    'EF_COMPILE_ONNX_ENCODE',
    `Cannot encode ONNX model: ${path} must be ${expected}, got ${got}.`,
    {
      path,
      expected,
    },
  );
}

function int64ToLongBits(value: unknown, unsigned: boolean, path: string): LongLike | number {
  if (typeof value === 'bigint') {
    const ok = unsigned
      ? value >= 0n && value <= UINT64_MAX
      : value >= INT64_MIN && value <= INT64_MAX;
    if (!ok)
      throw encodeError(
        path,
        unsigned ? 'a uint64 bigint in range' : 'an int64 bigint in range',
        value,
      );
    const bits = BigInt.asUintN(64, value);
    return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0 };
  }
  if (typeof value === 'number' && Number.isSafeInteger(value) && (!unsigned || value >= 0))
    return value;
  throw encodeError(
    path,
    unsigned
      ? 'a uint64 (bigint or safe non-negative integer)'
      : 'an int64 (bigint or safe integer)',
    value,
  );
}

/**
 * Running upper bound of the encoded size (tag <= 5 bytes, length/varint <= 10),
 * so the writer can allocate once instead of doubling and copying a large model.
 */
export interface EncodedSizeBound {
  bytes: number;
}

function toEncodableValue(
  field: FieldPlan,
  value: unknown,
  path: string,
  depth: number,
  size: EncodedSizeBound,
): unknown {
  size.bytes += 15;
  if (value instanceof Uint8Array) size.bytes += value.byteLength;
  else if (typeof value === 'string') size.bytes += value.length * 3;
  switch (field.kind) {
    case 'message':
      return toEncodable(field.messageType as protobuf.Type, value, path, depth + 1, size);
    case 'int64':
      return int64ToLongBits(value, false, path);
    case 'uint64':
      return int64ToLongBits(value, true, path);
    case 'bytes':
      if (value instanceof Uint8Array) return value;
      throw encodeError(path, 'a Uint8Array', value);
    case 'string':
      if (typeof value === 'string') return value;
      throw encodeError(path, 'a string', value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw encodeError(path, 'a boolean', value);
    case 'float':
      if (typeof value === 'number') return value;
      throw encodeError(path, 'a number', value);
    case 'int32':
      if (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= -(2 ** 31) &&
        value < 2 ** 31
      )
        return value;
      throw encodeError(path, 'an int32 number', value);
  }
}

/**
 * A plain model object (as in `onnx-types.ts`) checked field by field and made
 * ready for protobufjs' encoder (int64 as low/high bits). Throws an
 * `EF_COMPILE_ONNX_ENCODE` OnnxError naming the offending path.
 */
export function toEncodable(
  type: protobuf.Type,
  value: unknown,
  path: string,
  depth = 0,
  size: EncodedSizeBound = { bytes: 0 },
): Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  ) {
    throw encodeError(path, `an object (${type.name})`, value);
  }
  if (depth > MAX_DEPTH) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_ENCODE',
      `Cannot encode ONNX model: nesting deeper than ${MAX_DEPTH} at ${path}.`,
      {
        path,
      },
    );
  }
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of planFor(type)) {
    const item = source[field.name];
    if (item === undefined || item === null) continue;
    const fieldPath = `${path}.${field.name}`;
    if (field.repeated) {
      if (!Array.isArray(item)) throw encodeError(fieldPath, 'an array', item);
      out[field.name] = item.map((element: unknown, index) =>
        toEncodableValue(field, element, `${fieldPath}[${index}]`, depth, size),
      );
    } else {
      out[field.name] = toEncodableValue(field, item, fieldPath, depth, size);
    }
  }
  const unknowns = source.$unknowns;
  if (unknowns !== undefined) {
    if (!Array.isArray(unknowns) || !unknowns.every((record) => record instanceof Uint8Array)) {
      throw encodeError(`${path}.$unknowns`, 'an array of Uint8Array', unknowns);
    }
    for (const record of unknowns as Uint8Array[]) size.bytes += record.byteLength;
    out.$unknowns = unknowns;
  }
  return out;
}
