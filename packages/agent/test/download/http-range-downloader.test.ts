import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import { HttpRangeDownloader } from '../../src/download/http-range-downloader.js';
import type { HttpRangeDownloaderOptions } from '../../src/download/http-range-downloader.js';
import { PartialDownload } from '../../src/download/partial-download.js';
import { openAgentDb } from '../../src/state/agent-db.js';
import type { AgentDb } from '../../src/state/agent-db.js';

const BLOCK = 1024;
const AUTH = { username: 'dev-1', password: 's3cret' };

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface ServerControl {
  /** Range headers seen, in order. */
  ranges: string[];
  /** Returns what to do with a request. */
  mode: (range: string | undefined, i: number) => 'normal' | 'ignore-range' | 'cut' | 500;
}

describe('HttpRangeDownloader', () => {
  let dir: string;
  let db: AgentDb;
  let server: Server;
  let url: string;
  let blob: Buffer;
  let control: ServerControl;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-http-'));
    db = openAgentDb(join(dir, 'agent.db'));
    blob = randomBytes(20 * BLOCK + 300);
    control = { ranges: [], mode: () => 'normal' };
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const expected = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      const range = req.headers.range;
      const i = control.ranges.push(range ?? '') - 1;
      const mode = control.mode(range, i);
      if (mode === 500) {
        res.writeHead(500).end();
        return;
      }
      const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
      if (!m || mode === 'ignore-range') {
        res.writeHead(200, { 'content-length': blob.length }).end(blob);
        return;
      }
      const start = Number(m[1]);
      const end = Math.min(Number(m[2]), blob.length - 1);
      const body = blob.subarray(start, end + 1);
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${blob.length}`,
        'content-length': body.length,
      });
      if (mode === 'cut') {
        // Half the body, then the connection dies.
        res.write(body.subarray(0, Math.floor(body.length / 2) + 10));
        setImmediate(() => res.destroy());
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/blobs/x`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function downloader(extra: Partial<HttpRangeDownloaderOptions> = {}) {
    return new HttpRangeDownloader({
      db,
      dir: join(dir, 'downloads'),
      auth: AUTH,
      blockBytes: BLOCK,
      maxRangeBlocks: 8,
      retryDelayMs: 10,
      ...extra,
    });
  }

  it('downloads with Range requests and device Basic auth', async () => {
    const result = await downloader().download({ sha256: sha(blob), bytes: blob.length, url });
    expect(readFileSync(result.path).equals(blob)).toBe(true);
    expect(control.ranges).toEqual([
      'bytes=0-8191',
      'bytes=8192-16383',
      `bytes=16384-${blob.length - 1}`,
    ]);
  });

  it('resumes from the shared bitmap and asks only for the missing runs', async () => {
    const digest = sha(blob);
    const part = await PartialDownload.open({
      db,
      dir: join(dir, 'downloads'),
      sha256: digest,
      totalBytes: blob.length,
      blockBytes: BLOCK,
    });
    for (const i of [0, 1, 2, 5, 6]) {
      const { offset, length } = part.blockRange(i);
      await part.write(i, blob.subarray(offset, offset + length));
    }
    await part.close();
    const result = await downloader().download({ sha256: digest, bytes: blob.length, url });
    expect(readFileSync(result.path).equals(blob)).toBe(true);
    expect(result.resumedBytes).toBe(5 * BLOCK);
    expect(control.ranges[0]).toBe('bytes=3072-5119');
    expect(control.ranges[1]).toBe('bytes=7168-15359');
    expect(result.requestedBlocks).toBe(21 - 5);
  });

  it('retries a cut connection and a 5xx, keeping the blocks already written', async () => {
    control.mode = (_range, i) => (i === 0 ? 'cut' : i === 1 ? 500 : 'normal');
    const result = await downloader().download({ sha256: sha(blob), bytes: blob.length, url });
    expect(readFileSync(result.path).equals(blob)).toBe(true);
    // The retry of the first range starts after the blocks the cut response delivered whole.
    expect(control.ranges[0]).toBe('bytes=0-8191');
    expect(control.ranges[1]).not.toBe('bytes=0-8191');
  });

  it('maps refusals to coded errors', async () => {
    const digest = sha(blob);
    const badAuth = await downloader({ auth: { username: 'dev-1', password: 'wrong' } })
      .download({ sha256: digest, bytes: blob.length, url })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(badAuth, 'EF_AGENT_DOWNLOAD_HTTP_AUTH')).toBe(true);

    control.mode = () => 'ignore-range';
    const ignored = await downloader()
      .download({ sha256: digest, bytes: blob.length, url })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(ignored, 'EF_AGENT_DOWNLOAD_HTTP_RANGE')).toBe(true);

    control.mode = () => 500;
    const down = await downloader({ maxAttempts: 2 })
      .download({ sha256: digest, bytes: blob.length, url })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(down, 'EF_AGENT_DOWNLOAD_HTTP_STATUS')).toBe(true);

    control.mode = () => 'normal';
    const wrongSize = await downloader()
      .download({ sha256: digest, bytes: blob.length + 1, url })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(wrongSize, 'EF_AGENT_DOWNLOAD_SIZE_MISMATCH')).toBe(true);

    const wrongSha = await downloader()
      .download({ sha256: 'f'.repeat(64), bytes: blob.length, url })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(wrongSha, 'EF_AGENT_DOWNLOAD_SHA_MISMATCH')).toBe(true);
  });
});
