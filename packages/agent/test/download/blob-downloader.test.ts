import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEdgefleetError } from '@edgefleet/protocol';
import { BlobDownloader } from '../../src/download/blob-downloader.js';
import { readPartialRow } from '../../src/download/download-tables.js';
import type { DownloadProgress } from '../../src/download/download-types.js';
import { partialPath } from '../../src/download/partial-download.js';
import { openAgentDb } from '../../src/state/agent-db.js';
import type { AgentDb } from '../../src/state/agent-db.js';
import { MqttTestLink } from './helpers/test-link.js';
import { TestHub, waitFor } from './helpers/test-hub.js';

const DEVICE = 'dev-1';
const BLOCK = 1024;

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('BlobDownloader over the embedded broker', () => {
  let dir: string;
  let hub: TestHub;
  let link: MqttTestLink;
  const dbs: AgentDb[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-blob-'));
    hub = await TestHub.start();
    link = await MqttTestLink.connect(hub.url, DEVICE);
  });

  afterEach(async () => {
    await link.close();
    await hub.close();
    for (const db of dbs.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function db(): AgentDb {
    const d = openAgentDb(join(dir, 'agent.db'));
    dbs.push(d);
    return d;
  }

  function downloader(
    d: AgentDb,
    extra: Partial<ConstructorParameters<typeof BlobDownloader>[0]> = {},
  ) {
    return new BlobDownloader({
      db: d,
      link,
      deviceId: DEVICE,
      dir: join(dir, 'downloads'),
      blockBytes: BLOCK,
      window: 4,
      ...extra,
    });
  }

  it('fetches every block with several requests in flight and checks the sha256', async () => {
    const blob = randomBytes(40 * BLOCK + 123);
    const digest = sha(blob);
    hub.serve(digest, blob);
    const progress: DownloadProgress[] = [];
    const d = db();
    const result = await downloader(d, { progressIntervalMs: 0 }).download({
      sha256: digest,
      bytes: blob.length,
      onProgress: (p) => progress.push(p),
    });
    expect(readFileSync(result.path).equals(blob)).toBe(true);
    expect(result.requestedBlocks).toBe(41);
    expect(hub.requests).toHaveLength(41);
    expect(new Set(hub.requests.map((r) => r.offset)).size).toBe(41);
    expect(progress[0]).toEqual({ bytes: 0, total: blob.length });
    expect(progress.at(-1)).toEqual({ bytes: blob.length, total: blob.length });
    expect(readPartialRow(d, digest)).toBeUndefined();
    expect(existsSync(partialPath(join(dir, 'downloads'), digest))).toBe(false);
  });

  it('resumes after a restart and requests only the blocks it does not have', async () => {
    const blob = randomBytes(40 * BLOCK);
    const digest = sha(blob);
    hub.serve(digest, blob);
    // The hub answers 15 requests, then goes silent.
    hub.policy = (_req, i) => (i < 15 ? 'answer' : 'drop');
    const first = db();
    const controller = new AbortController();
    let received = 0;
    const pending = downloader(first, {
      requestTimeoutMs: 60_000,
      fsyncEveryBlocks: 4,
      progressIntervalMs: 0,
    }).download({
      sha256: digest,
      bytes: blob.length,
      signal: controller.signal,
      onProgress: (p) => (received = p.bytes),
    });
    const failed = pending.catch((err: unknown) => err);
    await waitFor(() => received === 15 * BLOCK, 15_000, '15 blocks written');
    expect(readPartialRow(first, digest)?.receivedBlocks).toBe(12); // marked in batches of 4
    controller.abort(new Error('agent stopping'));
    const err = await failed;
    expect(isEdgefleetError(err, 'EF_AGENT_DOWNLOAD_ABORTED')).toBe(true);
    first.close();
    dbs.splice(dbs.indexOf(first), 1);

    const answeredOffsets = new Set(hub.requests.slice(0, 15).map((r) => r.offset));
    const row = readPartialRow(db(), digest);
    expect(row?.receivedBlocks).toBe(15); // the abort synced and marked what was written

    // The 4 requests that were in flight (dropped) must have landed before counting starts.
    await waitFor(() => hub.requests.length === 19, 15_000, 'the in-flight requests');
    // "Restart": a new database connection and downloader over the same state folder.
    hub.requests.length = 0;
    hub.policy = () => 'answer';
    const second = db();
    const result = await downloader(second).download({ sha256: digest, bytes: blob.length });
    expect(readFileSync(result.path).equals(blob)).toBe(true);
    expect(result.resumedBytes).toBe(15 * BLOCK);
    expect(result.requestedBlocks).toBe(25);
    const requested = hub.requests.map((r) => r.offset);
    expect(requested).toHaveLength(25);
    for (const offset of requested) expect(answeredOffsets.has(offset)).toBe(false);
  });

  it('re-requests blocks whose answers never come', async () => {
    const blob = randomBytes(10 * BLOCK);
    const digest = sha(blob);
    hub.serve(digest, blob);
    const seen = new Set<number>();
    // The first request for every block is lost.
    hub.policy = (req) => {
      if (seen.has(req.offset)) return 'answer';
      seen.add(req.offset);
      return 'drop';
    };
    const result = await downloader(db(), {
      requestTimeoutMs: 150,
      maxAttemptsPerBlock: 20,
    }).download({
      sha256: digest,
      bytes: blob.length,
    });
    expect(readFileSync(result.path).equals(blob)).toBe(true);
    expect(hub.requests.length).toBeGreaterThanOrEqual(20);
  });

  it('deletes the partial file and fails with EF_AGENT_DOWNLOAD_SHA_MISMATCH on a tampered blob', async () => {
    const blob = randomBytes(5 * BLOCK);
    const digest = sha(blob);
    const tampered = Buffer.from(blob);
    tampered[77] = (tampered[77] ?? 0) ^ 0xff;
    hub.serve(digest, tampered);
    const d = db();
    const err = await downloader(d)
      .download({ sha256: digest, bytes: blob.length })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(err, 'EF_AGENT_DOWNLOAD_SHA_MISMATCH')).toBe(true);
    expect(existsSync(partialPath(join(dir, 'downloads'), digest))).toBe(false);
    expect(readPartialRow(d, digest)).toBeUndefined();
  });

  it('turns an error frame from the hub into EF_AGENT_DOWNLOAD_REMOTE', async () => {
    const blob = randomBytes(3 * BLOCK);
    const digest = sha(blob);
    hub.serve(digest, blob);
    hub.policy = () => ({ error: { code: 'EF_HUB_BLOB_NOT_FOUND', message: 'gone' } });
    const err = await downloader(db())
      .download({ sha256: digest, bytes: blob.length })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(err, 'EF_AGENT_DOWNLOAD_REMOTE')).toBe(true);
    expect((err as { details?: Record<string, unknown> }).details?.['remoteCode']).toBe(
      'EF_HUB_BLOB_NOT_FOUND',
    );
  });

  it('refuses a blob whose size differs from the desired bytes', async () => {
    const blob = randomBytes(3 * BLOCK);
    const digest = sha(blob);
    hub.serve(digest, blob);
    const err = await downloader(db())
      .download({ sha256: digest, bytes: blob.length + 10 })
      .catch((e: unknown) => e);
    expect(isEdgefleetError(err, 'EF_AGENT_DOWNLOAD_SIZE_MISMATCH')).toBe(true);
  });

  it('waits while the link is down and carries on when it is back', async () => {
    const blob = randomBytes(6 * BLOCK);
    const digest = sha(blob);
    hub.serve(digest, blob);
    await link.goOffline();
    let progressCalls = 0;
    const pending = downloader(db(), { requestTimeoutMs: 500 }).download({
      sha256: digest,
      bytes: blob.length,
      onProgress: () => (progressCalls += 1),
    });
    await waitFor(() => progressCalls === 1, 5000, 'download started');
    expect(hub.requests).toHaveLength(0);
    link.goOnline();
    const result = await pending;
    expect(readFileSync(result.path).equals(blob)).toBe(true);
  });

  it('refuses bad requests with EF_AGENT_DOWNLOAD_ARGUMENT', async () => {
    const d = downloader(db());
    for (const request of [
      { sha256: 'ABC', bytes: 1 },
      { sha256: 'a'.repeat(64), bytes: 0 },
      { sha256: 'a'.repeat(64), bytes: -1 },
    ]) {
      const err = await d.download(request).catch((e: unknown) => e);
      expect(isEdgefleetError(err, 'EF_AGENT_DOWNLOAD_ARGUMENT')).toBe(true);
    }
    expect(() => downloader(db(), { window: 0 })).toThrow(/window/);
  });
});
