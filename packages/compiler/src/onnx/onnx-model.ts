import protobuf from 'protobufjs';

import { OnnxError } from './onnx-errors.js';
import { onnxMessageType } from './onnx-schema.js';
import type { OnnxModel } from './onnx-types.js';
import { fromDecoded, toEncodable } from './proto-convert.js';
import type { EncodedSizeBound } from './proto-convert.js';

/** Protobuf messages cannot exceed 2 GiB - 1; larger ONNX models must use external data. */
export const MAX_ONNX_MODEL_BYTES = 2 ** 31 - 1;

/** Options of {@link readOnnxModel}. */
export interface ReadOnnxModelOptions {
  /** Reject inputs longer than this many bytes (default and upper bound: 2 GiB - 1, the protobuf limit). */
  maxBytes?: number;
}

/** Options of {@link writeOnnxModel}. */
export interface WriteOnnxModelOptions {
  /** Fail instead of returning an encoding longer than this many bytes (default 2 GiB - 1). */
  maxBytes?: number;
}

/** Newest IR version we consider plausible; anything far above is a misparse, not a model. */
const MAX_PLAUSIBLE_IR_VERSION = 1000n;

function capFrom(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return MAX_ONNX_MODEL_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new RangeError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  return Math.min(maxBytes, MAX_ONNX_MODEL_BYTES);
}

/** protobufjs signals problems with plain Error/RangeError; give each a stable code. */
function decodeFailure(err: unknown, byteLength: number): OnnxError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && /index out of range/.test(message)) {
    return new OnnxError(
      'EF_COMPILE_ONNX_TRUNCATED',
      `ONNX model is truncated or corrupt: a field extends past the end of its data (${message}).`,
      { byteLength, cause: message },
      { cause: err },
    );
  }
  return new OnnxError(
    'EF_COMPILE_ONNX_PARSE',
    `ONNX model bytes are not a valid protobuf: ${message}.`,
    { byteLength, cause: message },
    { cause: err },
  );
}

function notAModel(reason: string, byteLength: number): OnnxError {
  return new OnnxError(
    'EF_COMPILE_ONNX_NOT_A_MODEL',
    `The bytes decode as protobuf but are not an ONNX model: ${reason}.`,
    {
      byteLength,
      reason,
    },
  );
}

/** Checks the fields without which nothing downstream can work; a random protobuf rarely has all. */
function assertLooksLikeModel(
  model: Record<string, unknown>,
  byteLength: number,
): asserts model is Record<string, unknown> & OnnxModel {
  const irVersion = model.irVersion;
  if (typeof irVersion !== 'bigint') throw notAModel('ir_version (field 1) is missing', byteLength);
  if (irVersion < 1n || irVersion > MAX_PLAUSIBLE_IR_VERSION) {
    throw notAModel(`ir_version ${irVersion} is not a plausible IR version`, byteLength);
  }
  if (model.graph === undefined) throw notAModel('graph (field 7) is missing', byteLength);
  const opsets = model.opsetImport as { version?: bigint }[];
  if (irVersion >= 3n && opsets.length === 0)
    throw notAModel('opset_import (field 8) is empty', byteLength);
  for (const opset of opsets) {
    if (opset.version === undefined || opset.version < 1n) {
      throw notAModel('an opset_import entry has no positive version', byteLength);
    }
  }
}

/**
 * Decodes ONNX model bytes (a serialized `onnx.ModelProto`) into a plain,
 * lossless {@link OnnxModel}: int64 as bigint, unknown fields kept in `$unknowns`.
 *
 * The input is copied once, so later changes to `bytes` do not affect the
 * model; `bytes` fields of the model are views into that private copy.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_EMPTY`, `EF_COMPILE_ONNX_TOO_LARGE`, `EF_COMPILE_ONNX_PARSE`,
 *   `EF_COMPILE_ONNX_TRUNCATED` or `EF_COMPILE_ONNX_NOT_A_MODEL`; never a raw exception.
 * @example
 * const model = readOnnxModel(await readFile('mlp.onnx'), { maxBytes: 64 * 1024 * 1024 });
 * console.log(model.graph.node.map((n) => n.opType)); // ['Gemm', 'Relu', 'Gemm']
 */
export function readOnnxModel(bytes: Uint8Array, options: ReadOnnxModelOptions = {}): OnnxModel {
  if (!(bytes instanceof Uint8Array)) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_PARSE',
      'ONNX model bytes must be a Uint8Array or Buffer.',
      {
        got: typeof bytes,
      },
    );
  }
  const byteLength = bytes.byteLength;
  if (byteLength === 0)
    throw new OnnxError('EF_COMPILE_ONNX_EMPTY', 'ONNX model bytes are empty.', { byteLength });
  const maxBytes = capFrom(options.maxBytes);
  if (byteLength > maxBytes) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_TOO_LARGE',
      `ONNX model is ${byteLength} bytes, over the ${maxBytes}-byte cap.`,
      {
        byteLength,
        maxBytes,
      },
    );
  }

  // A private, unpooled copy: the model's bytes fields are views into it.
  const copy = Buffer.allocUnsafeSlow(byteLength);
  copy.set(bytes);
  const modelType = onnxMessageType('ModelProto');
  let decoded: protobuf.Message;
  try {
    const reader = protobuf.Reader.create(copy);
    reader.discardUnknown = false; // keep unknown fields so write() can re-emit them
    decoded = modelType.decode(reader);
  } catch (err) {
    throw decodeFailure(err, byteLength);
  }
  let model: Record<string, unknown>;
  try {
    model = fromDecoded(modelType, decoded as unknown as Record<string, unknown>);
  } catch (err) {
    throw decodeFailure(err, byteLength);
  }
  assertLooksLikeModel(model, byteLength);
  return model;
}

/**
 * Encodes an {@link OnnxModel} to ONNX bytes. Known fields are written in
 * field-number order (as protoc does), then each message's `$unknowns`, so a
 * model read from a protoc-written file re-encodes to the same bytes.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_ENCODE` naming the bad field path, or `EF_COMPILE_ONNX_TOO_LARGE`.
 * @example
 * const bytes = writeOnnxModel(model);
 * const session = await ort.InferenceSession.create(bytes);
 */
export function writeOnnxModel(model: OnnxModel, options: WriteOnnxModelOptions = {}): Uint8Array {
  const maxBytes = capFrom(options.maxBytes);
  const modelType = onnxMessageType('ModelProto');
  const sizeBound: EncodedSizeBound = { bytes: 0 };
  const encodable = toEncodable(modelType, model, 'model', 0, sizeBound);
  if (encodable.graph === undefined) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_ENCODE',
      'Cannot encode ONNX model: model.graph is missing.',
      { path: 'model.graph' },
    );
  }
  // Start with a buffer as large as the encoding can be: protobufjs otherwise grows by doubling
  // and copying, which dominates the time for models with hundreds of MB of weights.
  const initial = Buffer.allocUnsafeSlow(Math.min(sizeBound.bytes + 64, MAX_ONNX_MODEL_BYTES));
  let writer: protobuf.Writer;
  try {
    writer = protobuf.Writer.create();
    writer.buf = initial;
    writer.view = null;
    modelType.encode(encodable, writer);
  } catch (err) {
    if (err instanceof OnnxError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new OnnxError(
      'EF_COMPILE_ONNX_ENCODE',
      `Cannot encode ONNX model: ${message}.`,
      { cause: message },
      { cause: err },
    );
  }
  if (writer.pos > maxBytes) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_TOO_LARGE',
      `Encoded ONNX model is ${writer.pos} bytes, over the ${maxBytes}-byte cap.`,
      {
        byteLength: writer.pos,
        maxBytes,
      },
    );
  }
  // Return a view of the writer's own, unpooled buffer when it is mostly used; copy otherwise so
  // a small model does not pin a large, mostly empty allocation. (finish() could hand out a
  // slice of Node's shared Buffer pool, hence neither path uses it.)
  const buf = writer.buf;
  const ownsWholeBuffer = buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength;
  if (!ownsWholeBuffer || writer.pos < buf.byteLength / 2)
    return writer.finishInto(new Uint8Array(writer.pos));
  return new Uint8Array(buf.buffer, buf.byteOffset, writer.pos);
}
