/**
 * The HTTP alternative to MQTT blob transfer (DESIGN section 5): `Range` requests for the runs of
 * missing blocks, with the device's Basic credentials. It fills the same partial file and bitmap
 * as {@link BlobDownloader}, so either transport resumes what the other started.
 */
import { access } from 'node:fs/promises';
import { DEFAULT_BLOB_BLOCK_BYTES } from '@edgefleet/protocol';
import type { AgentDb } from '../state/agent-db.js';
import { DownloadError } from './download-errors.js';
import {
  abortedError,
  assertDownloadRequest,
  intOption,
  progressThrottle,
  silentDownloadLogger,
} from './download-types.js';
import type {
  BundleDownloadRequest,
  BundleDownloader,
  DownloadLogger,
  DownloadProgress,
  DownloadResult,
} from './download-types.js';
import { PartialDownload, downloadedPath } from './partial-download.js';

/** Options of {@link HttpRangeDownloader}. */
export interface HttpRangeDownloaderOptions {
  readonly db: AgentDb;
  /** The downloads folder (`<state>/downloads`). */
  readonly dir: string;
  /** Device credentials sent as HTTP Basic auth. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Block size of new downloads (the bitmap's unit). Default 64 KiB. */
  readonly blockBytes?: number;
  /** Most blocks asked for in one range request. Default 64 (4 MiB with 64 KiB blocks). */
  readonly maxRangeBlocks?: number;
  /** Attempts per range on network errors and 5xx before giving up. Default 5. */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt. Default 500 ms. */
  readonly retryDelayMs?: number;
  /** A response that sends nothing for this long is abandoned and retried. Default 30 s. */
  readonly idleTimeoutMs?: number;
  readonly fsyncEveryBlocks?: number;
  readonly progressIntervalMs?: number;
  /** The fetch implementation (tests). Default the global fetch. */
  readonly fetch?: typeof fetch;
  readonly logger?: DownloadLogger;
}

/** A failure worth another attempt (network, 5xx, a body cut short). */
class RetryableError extends Error {}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Runs of consecutive block indexes, each at most `max` long. */
function runsOf(indexes: number[], max: number): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  for (const i of indexes) {
    const last = run[run.length - 1];
    if (run.length > 0 && (last !== i - 1 || run.length >= max)) {
      runs.push(run);
      run = [];
    }
    run.push(i);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Downloads a bundle from its desired-state `url` with HTTP range requests.
 *
 * @example
 * const http = new HttpRangeDownloader({ db, dir, auth: { username: 'press-07', password: secret } });
 * const { path } = await http.download({ sha256, bytes, url });
 */
export class HttpRangeDownloader implements BundleDownloader {
  private readonly blockBytes: number;
  private readonly maxRangeBlocks: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly idleTimeoutMs: number;
  private readonly fsyncEveryBlocks: number;
  private readonly progressIntervalMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly logger: DownloadLogger;

  constructor(private readonly deps: HttpRangeDownloaderOptions) {
    this.blockBytes = intOption('blockBytes', deps.blockBytes, DEFAULT_BLOB_BLOCK_BYTES, 1);
    this.maxRangeBlocks = intOption('maxRangeBlocks', deps.maxRangeBlocks, 64, 1);
    this.maxAttempts = intOption('maxAttempts', deps.maxAttempts, 5, 1);
    this.retryDelayMs = intOption('retryDelayMs', deps.retryDelayMs, 500, 0);
    this.idleTimeoutMs = intOption('idleTimeoutMs', deps.idleTimeoutMs, 30_000, 1);
    this.fsyncEveryBlocks = intOption('fsyncEveryBlocks', deps.fsyncEveryBlocks, 8, 1);
    this.progressIntervalMs = intOption('progressIntervalMs', deps.progressIntervalMs, 1000, 0);
    this.fetchImpl = deps.fetch ?? fetch;
    this.logger = deps.logger ?? silentDownloadLogger;
  }

  /** Fetches the missing ranges of `request.url` and returns the checked `.efb` path. */
  async download(request: BundleDownloadRequest): Promise<DownloadResult> {
    assertDownloadRequest(request);
    const { sha256, bytes, signal, url } = request;
    if (url === undefined || !/^https?:\/\//.test(url)) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_ARGUMENT',
        'an HTTP download needs an http(s) url',
      );
    }
    if (signal?.aborted) throw abortedError(sha256, signal);
    const done = downloadedPath(this.deps.dir, sha256);
    if (await exists(done))
      return { path: done, sha256, bytes, requestedBlocks: 0, resumedBytes: bytes };
    const part = await PartialDownload.open({
      db: this.deps.db,
      dir: this.deps.dir,
      sha256,
      totalBytes: bytes,
      blockBytes: this.blockBytes,
      fsyncEveryBlocks: this.fsyncEveryBlocks,
    });
    const resumedBytes = part.receivedBytes();
    const progress = progressThrottle(request.onProgress, this.progressIntervalMs);
    let requestedBlocks = 0;
    try {
      progress({ bytes: resumedBytes, total: bytes });
      for (const run of runsOf(part.missing(), this.maxRangeBlocks)) {
        requestedBlocks += await this.fetchRun(url, part, run, progress, signal);
      }
      const path = await part.finish();
      return { path, sha256, bytes, requestedBlocks, resumedBytes };
    } finally {
      await part.close().catch(() => undefined);
    }
  }

  /** Fetches one run of blocks, retrying what a failed attempt left missing. */
  private async fetchRun(
    url: string,
    part: PartialDownload,
    run: number[],
    progress: (p: DownloadProgress) => void,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    let requested = 0;
    for (let attempt = 1; ; attempt += 1) {
      const missing = run.filter((i) => !part.has(i));
      if (missing.length === 0) return requested;
      if (signal?.aborted) throw abortedError(part.sha256, signal);
      requested += missing.length;
      try {
        await this.fetchRange(url, part, missing, progress, signal);
      } catch (err) {
        if (signal?.aborted) throw abortedError(part.sha256, signal);
        if (!(err instanceof RetryableError)) throw err;
        if (attempt >= this.maxAttempts) {
          throw new DownloadError(
            'EF_AGENT_DOWNLOAD_HTTP_STATUS',
            `${url}: ${err.message} (after ${attempt} attempts)`,
            { url, attempts: attempt },
            { cause: err },
          );
        }
        this.logger.debug({ err, url, attempt }, 'HTTP range request failed; retrying');
        await sleep(this.retryDelayMs * 2 ** (attempt - 1), signal);
      }
    }
  }

  private async fetchRange(
    url: string,
    part: PartialDownload,
    blocks: number[],
    progress: (p: DownloadProgress) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const first = blocks[0] as number;
    const last = blocks[blocks.length - 1] as number;
    const start = part.blockRange(first).offset;
    const lastRange = part.blockRange(last);
    const end = lastRange.offset + lastRange.length - 1;
    const idle = new AbortController();
    let idleTimer = setTimeout(() => idle.abort(), this.idleTimeoutMs);
    const signals = signal ? [signal, idle.signal] : [idle.signal];
    const headers: Record<string, string> = { Range: `bytes=${start}-${end}` };
    if (this.deps.auth) {
      const token = Buffer.from(`${this.deps.auth.username}:${this.deps.auth.password}`).toString(
        'base64',
      );
      headers['Authorization'] = `Basic ${token}`;
    }
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          headers,
          signal: AbortSignal.any(signals),
          redirect: 'error',
        });
      } catch (err) {
        throw new RetryableError(
          `request failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      try {
        this.checkResponse(url, response, start, end, part.totalBytes);
      } catch (err) {
        await response.body?.cancel().catch(() => undefined);
        throw err;
      }
      if (!response.body) throw new RetryableError('response has no body');
      // Assemble whole blocks from the stream; each complete block is written at its offset.
      let index = first;
      let block = Buffer.alloc(part.blockRange(index).length);
      let filled = 0;
      const reader = response.body.getReader();
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw new RetryableError(
              `body read failed: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
          if (chunk.done) break;
          clearTimeout(idleTimer);
          idleTimer = setTimeout(() => idle.abort(), this.idleTimeoutMs);
          let data = chunk.value;
          while (data.length > 0) {
            if (index > last)
              throw new DownloadError(
                'EF_AGENT_DOWNLOAD_HTTP_RANGE',
                `${url} sent more than bytes ${start}-${end}`,
                { url },
              );
            const take = Math.min(block.length - filled, data.length);
            block.set(data.subarray(0, take), filled);
            filled += take;
            data = data.subarray(take);
            if (filled === block.length) {
              await part.write(index, block);
              progress({ bytes: part.receivedBytes(), total: part.totalBytes });
              index += 1;
              if (index <= last) block = Buffer.alloc(part.blockRange(index).length);
              filled = 0;
            }
          }
        }
      } finally {
        // Frees the connection when we stop early; a no-op on a fully read body.
        await reader.cancel().catch(() => undefined);
      }
      if (index <= last) throw new RetryableError(`body ended before byte ${end}`);
    } finally {
      clearTimeout(idleTimer);
    }
  }

  private checkResponse(
    url: string,
    response: Response,
    start: number,
    end: number,
    total: number,
  ): void {
    const { status } = response;
    if (status === 401 || status === 403) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_HTTP_AUTH',
        `${url} refused the device credentials (HTTP ${status})`,
        { url, status },
      );
    }
    if (status >= 500 || status === 408 || status === 429)
      throw new RetryableError(`HTTP ${status}`);
    if (status === 200) {
      // A server that ignores Range sends the whole file: usable only when that is what we asked.
      if (start === 0 && end === total - 1) return;
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_HTTP_RANGE',
        `${url} ignored the Range header (HTTP 200)`,
        { url, start, end },
      );
    }
    if (status !== 206) {
      throw new DownloadError('EF_AGENT_DOWNLOAD_HTTP_STATUS', `${url} answered HTTP ${status}`, {
        url,
        status,
      });
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    if (!range) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_HTTP_RANGE',
        `${url} sent no valid Content-Range`,
        { url },
      );
    }
    if (range[3] !== '*' && Number(range[3]) !== total) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_SIZE_MISMATCH',
        `${url} says the bundle is ${range[3]} bytes, the desired state says ${total}`,
        { url, serverBytes: Number(range[3]), desiredBytes: total },
      );
    }
    if (Number(range[1]) !== start || Number(range[2]) !== end) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_HTTP_RANGE',
        `${url} answered bytes ${range[1]}-${range[2]} for bytes=${start}-${end}`,
        { url, start, end },
      );
    }
  }
}
