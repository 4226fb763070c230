/**
 * Reads request bodies with a size cap. A declared Content-Length above the cap is refused
 * before a byte is read; a body that grows past it while streaming is refused as soon as it does,
 * so a client can never make the hub buffer more than the cap.
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { HttpApiError } from './http-errors.js';
import { formatIssues } from './validation.js';

/** Largest JSON request body. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Largest bundle upload (held in memory while the hub verifies it). */
export const MAX_BUNDLE_BODY_BYTES = 512 * 1024 * 1024;

function tooLarge(maxBytes: number, got: number | undefined): HttpApiError {
  return new HttpApiError(
    'EF_HUB_HTTP_BODY_TOO_LARGE',
    `the request body is larger than ${maxBytes} bytes${got === undefined ? '' : ` (Content-Length ${got})`}`,
    { maxBytes, ...(got === undefined ? {} : { contentLength: got }) },
  );
}

/** The media type of a request without parameters, lowercased; '' when absent. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Collects the whole body, or rejects with `EF_HUB_HTTP_BODY_TOO_LARGE` (cap exceeded) or
 * `EF_HUB_HTTP_ABORTED` (the client went away first).
 *
 * @example
 * const bytes = await readBody(req, MAX_BUNDLE_BODY_BYTES);
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (Number.isSafeInteger(n) && n > maxBytes) return Promise.reject(tooLarge(maxBytes, n));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err === undefined) resolve(Buffer.concat(chunks, size));
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        // Stop buffering but keep the socket: the router answers 413 and closes it.
        req.pause();
        finish(tooLarge(maxBytes, undefined));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const aborted = () =>
      new HttpApiError('EF_HUB_HTTP_ABORTED', 'the client closed the connection mid-request');
    const onError = () => finish(aborted());
    const onClose = () => {
      if (!req.complete) finish(aborted());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Reads and validates a JSON body: `EF_HUB_HTTP_CONTENT_TYPE` unless it is sent as
 * application/json (or without a type), `EF_HUB_HTTP_JSON` when it does not parse,
 * `EF_HUB_HTTP_VALIDATION` when it does not match `schema`.
 *
 * @example
 * const body = await readJsonBody(req, EnrollDeviceBodySchema);
 */
export async function readJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const type = mediaType(req);
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpApiError(
      'EF_HUB_HTTP_CONTENT_TYPE',
      `expected Content-Type application/json, got '${type}'`,
      { contentType: type },
    );
  }
  const bytes = await readBody(req, MAX_JSON_BODY_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new HttpApiError(
      'EF_HUB_HTTP_JSON',
      `the request body is not valid UTF-8 JSON: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new HttpApiError(
      'EF_HUB_HTTP_VALIDATION',
      `the request body is invalid: ${formatIssues(parsed.error)}`,
      {
        issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      },
    );
  }
  return parsed.data;
}

/**
 * Reads a binary body (a bundle): `EF_HUB_HTTP_CONTENT_TYPE` when it is sent as JSON or a form,
 * which is always a client mistake.
 */
export async function readBinaryBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const type = mediaType(req);
  if (type !== '' && type !== 'application/octet-stream') {
    throw new HttpApiError(
      'EF_HUB_HTTP_CONTENT_TYPE',
      `expected Content-Type application/octet-stream (the .efb bytes), got '${type}'`,
      { contentType: type },
    );
  }
  return readBody(req, maxBytes);
}
