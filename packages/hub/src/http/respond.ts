/** Writes replies and error answers, and copes with clients that go away mid-answer. */
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isEdgefleetError } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { statusForError } from './error-status.js';
import type { Reply } from './route-spec.js';

/** How much of an unread (refused) request body is read and dropped before closing the socket. */
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;
const DRAIN_LIMIT_MS = 10_000;

const JSON_TYPE = 'application/json; charset=utf-8';

function baseHeaders(): Record<string, string> {
  return { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };
}

function writeBody(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...baseHeaders(),
    'content-type': type,
    'content-length': String(bytes.length),
    ...extra,
  });
  res.end(bytes);
}

/**
 * Reads and drops the rest of a request whose answer was sent before its body was read (413,
 * 401 on an upload), so that the client sees the answer instead of a reset; a client that keeps
 * sending past the drain limit is cut off.
 */
function discardRequestBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let seen = 0;
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_LIMIT_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** Sends a handler's reply; a stream is piped and a broken one cuts the response off. */
export async function sendReply(
  req: IncomingMessage,
  res: ServerResponse,
  reply: Reply,
): Promise<void> {
  discardRequestBody(req);
  if ('json' in reply) {
    writeBody(res, reply.status, JSON_TYPE, JSON.stringify(reply.json), reply.headers);
    return;
  }
  if ('text' in reply) {
    writeBody(res, reply.status, reply.contentType, reply.text, reply.headers);
    return;
  }
  res.writeHead(reply.status, { 'x-content-type-options': 'nosniff', ...reply.headers });
  if (reply.stream === undefined) {
    res.end();
    return;
  }
  try {
    await pipeline(reply.stream as Readable, res);
  } catch {
    // The client went away, or the blob could not be read after the headers went out: either
    // way the only honest signal left is a cut connection (the Content-Length is not met).
    res.destroy();
  }
}

/**
 * Answers `err` as `{ error: { code, message, details? } }` with the status its code maps to.
 * Uncoded errors are bugs: logged with their stack, answered as EF_HUB_HTTP_INTERNAL without it.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  logger: Logger,
): void {
  const status = statusForError(err);
  const coded = isEdgefleetError(err);
  const where = { method: req.method, url: req.url, status };
  if (status >= 500) logger.error({ err, ...where }, 'HTTP request failed');
  else logger.debug({ code: coded ? err.code : undefined, ...where }, 'HTTP request refused');
  if (coded && err.code === 'EF_HUB_HTTP_ABORTED') {
    res.destroy();
    return;
  }
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = coded
    ? { error: err.toJSON() }
    : {
        error: {
          code: 'EF_HUB_HTTP_INTERNAL',
          message: 'the hub failed while answering this request; its log has the details',
        },
      };
  discardRequestBody(req);
  writeBody(
    res,
    status,
    JSON_TYPE,
    JSON.stringify(body),
    status === 401 ? { 'www-authenticate': 'Bearer realm="edgefleet"' } : {},
  );
}
