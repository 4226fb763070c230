/**
 * Bundle transfer over MQTT: block requests on `blob/req` and binary framed responses on
 * `blob/res` (MQTT 3.1.1 has no response-topic property, so replies go to the device's topic).
 */
import { z } from 'zod';
import { ProtocolError } from './errors.js';
import { parseJson } from './parse-json.js';
import {
  CountSchema,
  ErrorInfoSchema,
  IdentifierSchema,
  Sha256HexSchema,
} from './schema-primitives.js';

/** [P-BL-1] Default block size: 64 KiB, under AWS IoT's 128 KB payload limit. */
export const DEFAULT_BLOB_BLOCK_BYTES = 64 * 1024;
/** [P-BL-1] Largest block a device may ask for: 1 MiB, EMQX's default payload limit. */
export const MAX_BLOB_BLOCK_BYTES = 1024 * 1024;
/** [P-BL-2] Cap on the JSON header of a blob response frame. */
export const MAX_BLOB_HEADER_BYTES = 4096;

/** [P-BL-1] A block request. */
export const BlobRequestSchema = z.looseObject({
  sha256: Sha256HexSchema,
  offset: CountSchema,
  length: z.number().int().min(1).max(MAX_BLOB_BLOCK_BYTES),
  requestId: IdentifierSchema,
});
export type BlobRequest = z.output<typeof BlobRequestSchema>;

/** [P-BL-2] The JSON header of a blob response frame. */
export const BlobResponseHeaderSchema = z
  .looseObject({
    requestId: IdentifierSchema,
    sha256: Sha256HexSchema,
    offset: CountSchema,
    length: z.number().int().min(0).max(MAX_BLOB_BLOCK_BYTES),
    total: CountSchema,
    error: ErrorInfoSchema.optional(),
  })
  .refine((h) => h.offset + h.length <= h.total, {
    message: 'offset + length is past total',
    path: ['length'],
  })
  .refine((h) => !h.error || h.length === 0, {
    message: 'an error response carries no bytes',
    path: ['length'],
  });
export type BlobResponseHeader = z.output<typeof BlobResponseHeaderSchema>;

/**
 * Parses a block request.
 *
 * @example
 * const req = parseBlobRequest(payload);
 */
export function parseBlobRequest(input: unknown): BlobRequest {
  return parseJson(input, BlobRequestSchema, 'blob request');
}

function frameError(message: string, details?: Record<string, unknown>): ProtocolError {
  return new ProtocolError('EF_PROTO_FRAME', `blob response: ${message}`, details);
}

/**
 * [P-BL-2] Frames a blob response: 4-byte big-endian header length, UTF-8 JSON header, bytes.
 *
 * @example
 * const frame = encodeBlobResponse({ requestId: 'r1', sha256, offset: 0, length: 3, total: 3 }, bytes);
 */
export function encodeBlobResponse(header: BlobResponseHeader, bytes: Uint8Array): Buffer {
  const checked = parseJson(header, BlobResponseHeaderSchema, 'blob response header');
  if (checked.length !== bytes.byteLength) {
    throw new ProtocolError(
      'EF_PROTO_ARGUMENT',
      `blob response header says ${checked.length} bytes but ${bytes.byteLength} were given`,
    );
  }
  const json = Buffer.from(JSON.stringify(checked), 'utf8');
  if (json.length > MAX_BLOB_HEADER_BYTES) {
    throw new ProtocolError(
      'EF_PROTO_ARGUMENT',
      `blob response header is over ${MAX_BLOB_HEADER_BYTES} bytes`,
    );
  }
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(json.length, 0);
  return Buffer.concat([prefix, json, bytes]);
}

/**
 * Decodes a blob response frame. Throws `EF_PROTO_FRAME` when truncated or when the header's
 * length disagrees with the bytes, and `EF_PROTO_JSON`/`EF_PROTO_SCHEMA` for a bad header.
 * The returned bytes are a view into `frame`.
 *
 * @example
 * const { header, bytes } = decodeBlobResponse(payload);
 */
export function decodeBlobResponse(frame: Uint8Array): {
  header: BlobResponseHeader;
  bytes: Buffer;
} {
  if (!(frame instanceof Uint8Array)) throw frameError('frame is not binary');
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < 4) throw frameError(`${buf.length} bytes is shorter than the 4-byte prefix`);
  const headerLength = buf.readUInt32BE(0);
  if (headerLength > MAX_BLOB_HEADER_BYTES) {
    throw frameError(`header length ${headerLength} is over ${MAX_BLOB_HEADER_BYTES}`, {
      headerLength,
    });
  }
  if (4 + headerLength > buf.length) {
    throw frameError(`header length ${headerLength} runs past the ${buf.length}-byte frame`, {
      headerLength,
      frameBytes: buf.length,
    });
  }
  const header = parseJson(
    buf.subarray(4, 4 + headerLength),
    BlobResponseHeaderSchema,
    'blob response header',
  );
  const bytes = buf.subarray(4 + headerLength);
  if (bytes.length !== header.length) {
    throw frameError(`header says ${header.length} bytes, frame carries ${bytes.length}`, {
      length: header.length,
      carried: bytes.length,
    });
  }
  return { header, bytes };
}
