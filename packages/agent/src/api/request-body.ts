import type { IncomingMessage } from 'node:http';

import { ApiError } from './api-errors.js';

/**
 * Reads a request body up to `limit` bytes. A declared or streamed body over the limit is
 * refused as soon as it is known (EF_AGENT_API_BODY_TOO_LARGE), without buffering the rest.
 *
 * @example
 * const bytes = await readBody(req, 1024 * 1024);
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (): ApiError =>
    new ApiError('EF_AGENT_API_BODY_TOO_LARGE', `the request body is over ${limit} bytes`, {
      limit,
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | undefined): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err === undefined) {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      } else {
        reject(err);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(undefined));
    req.once('error', (err) => finish(err));
    req.once('close', () => finish(new Error('the client closed the connection')));
  });
}
