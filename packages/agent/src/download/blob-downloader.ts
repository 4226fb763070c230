/**
 * Bundle transfer over MQTT ([P-BL-1], [P-BL-2]): block requests on the device's `blob/req`
 * topic with a window of several in flight, binary responses on `blob/res` matched by
 * requestId, blocks written into a resumable partial file, whole-file sha256 checked at the end.
 */
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import {
  DEFAULT_BLOB_BLOCK_BYTES,
  MAX_BLOB_BLOCK_BYTES,
  decodeBlobResponse,
  topics,
} from '@edgefleet/protocol';
import type { AgentLink } from '../link/agent-link-api.js';
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

/** Options of {@link BlobDownloader}. */
export interface BlobDownloaderOptions {
  readonly db: AgentDb;
  readonly link: AgentLink;
  readonly deviceId: string;
  /** The downloads folder (`<state>/downloads`). */
  readonly dir: string;
  /** Block requests in flight at once. Default 8. */
  readonly window?: number;
  /** Block size of new downloads. Default {@link DEFAULT_BLOB_BLOCK_BYTES} (64 KiB). */
  readonly blockBytes?: number;
  /** A request unanswered this long (while connected) is sent again. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /** Unanswered (or malformed) answers per block before `EF_AGENT_DOWNLOAD_TIMEOUT`. Default 8. */
  readonly maxAttemptsPerBlock?: number;
  /** Blocks written between two fdatasync + bitmap updates. Default 8. */
  readonly fsyncEveryBlocks?: number;
  /** Least time between two progress callbacks. Default 1000 ms. */
  readonly progressIntervalMs?: number;
  readonly logger?: DownloadLogger;
}

interface ResolvedBlobOptions {
  window: number;
  blockBytes: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  fsyncEveryBlocks: number;
  progressIntervalMs: number;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Downloads bundles from the hub over the agent's MQTT link. While the link is down nothing is
 * requested and nothing times out: the download waits for the next connection. A restart
 * resumes from the stored bitmap and requests only the missing blocks.
 *
 * @example
 * const downloader = new BlobDownloader({ db, link, deviceId: 'press-07', dir: '/var/lib/edgefleet/downloads' });
 * const { path } = await downloader.download({ sha256, bytes, onProgress: (p) => report(p) });
 */
export class BlobDownloader implements BundleDownloader {
  private readonly options: ResolvedBlobOptions;
  private readonly logger: DownloadLogger;

  constructor(private readonly deps: BlobDownloaderOptions) {
    this.options = {
      window: intOption('window', deps.window, 8, 1, 256),
      blockBytes: intOption(
        'blockBytes',
        deps.blockBytes,
        DEFAULT_BLOB_BLOCK_BYTES,
        1,
        MAX_BLOB_BLOCK_BYTES,
      ),
      requestTimeoutMs: intOption('requestTimeoutMs', deps.requestTimeoutMs, 15_000, 1),
      maxAttempts: intOption('maxAttemptsPerBlock', deps.maxAttemptsPerBlock, 8, 1),
      fsyncEveryBlocks: intOption('fsyncEveryBlocks', deps.fsyncEveryBlocks, 8, 1),
      progressIntervalMs: intOption('progressIntervalMs', deps.progressIntervalMs, 1000, 0),
    };
    // Builds (and so checks) the topic once: a bad device id is an error here, not per block.
    topics.blobReq(deps.deviceId);
    this.logger = deps.logger ?? silentDownloadLogger;
  }

  /**
   * Fetches the bundle (or the blocks still missing) and returns the checked `.efb` path.
   * Throws `EF_AGENT_DOWNLOAD_*` codes; on any error but a sha256 mismatch the partial file
   * stays for the next attempt.
   */
  async download(request: BundleDownloadRequest): Promise<DownloadResult> {
    assertDownloadRequest(request);
    const { sha256, bytes, signal } = request;
    if (signal?.aborted) throw abortedError(sha256, signal);
    const done = downloadedPath(this.deps.dir, sha256);
    if (await exists(done)) {
      return { path: done, sha256, bytes, requestedBlocks: 0, resumedBytes: bytes };
    }
    const part = await PartialDownload.open({
      db: this.deps.db,
      dir: this.deps.dir,
      sha256,
      totalBytes: bytes,
      blockBytes: this.options.blockBytes,
      fsyncEveryBlocks: this.options.fsyncEveryBlocks,
    });
    const resumedBytes = part.receivedBytes();
    const progress = progressThrottle(request.onProgress, this.options.progressIntervalMs);
    try {
      progress({ bytes: resumedBytes, total: bytes });
      let requestedBlocks = 0;
      if (!part.isComplete()) {
        const session = new BlockSession(
          this.deps,
          this.options,
          this.logger,
          part,
          progress,
          signal,
        );
        requestedBlocks = await session.run();
      }
      const path = await part.finish();
      return { path, sha256, bytes, requestedBlocks, resumedBytes };
    } finally {
      await part.close().catch(() => undefined);
    }
  }
}

interface InFlight {
  index: number;
  timer: NodeJS.Timeout;
}

/** One download's requests in flight, retries and responses. */
class BlockSession {
  private readonly queue: number[];
  private readonly inflight = new Map<string, InFlight>();
  private readonly attempts = new Map<number, number>();
  private readonly prefix = randomBytes(4).toString('hex');
  private remaining: number;
  private requested = 0;
  private seq = 0;
  private settled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private resolve: (requested: number) => void = () => undefined;
  private reject: (err: unknown) => void = () => undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly deps: BlobDownloaderOptions,
    private readonly options: ResolvedBlobOptions,
    private readonly logger: DownloadLogger,
    private readonly part: PartialDownload,
    private readonly progress: (p: DownloadProgress) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.queue = part.missing();
    this.remaining = this.queue.length;
  }

  run(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.unsubscribe.push(
        this.deps.link.onMessage('blob/res', (_topic, payload) => this.onResponse(payload)),
      );
      this.unsubscribe.push(this.deps.link.onConnect(() => this.pump()));
      if (this.signal) {
        const onAbort = () => this.fail(abortedError(this.part.sha256, this.signal));
        this.signal.addEventListener('abort', onAbort, { once: true });
        this.unsubscribe.push(() => this.signal?.removeEventListener('abort', onAbort));
        if (this.signal.aborted) return onAbort();
      }
      this.pump();
    });
  }

  private pump(): void {
    while (
      !this.settled &&
      this.inflight.size < this.options.window &&
      this.queue.length > 0 &&
      this.deps.link.connected
    ) {
      this.send(this.queue.shift() as number);
    }
  }

  private send(index: number): void {
    const { offset, length } = this.part.blockRange(index);
    const requestId = `${this.prefix}.${index}.${(this.seq += 1)}`;
    const timer = setTimeout(() => this.onTimeout(requestId), this.options.requestTimeoutMs);
    this.inflight.set(requestId, { index, timer });
    this.requested += 1;
    const body = JSON.stringify({ sha256: this.part.sha256, offset, length, requestId });
    this.deps.link
      .publish(topics.blobReq(this.deps.deviceId), body, { qos: 1 })
      .catch((err: unknown) => {
        // Not connected (or the publish failed): put the block back and try again later.
        const entry = this.inflight.get(requestId);
        if (!entry || this.settled) return;
        clearTimeout(entry.timer);
        this.inflight.delete(requestId);
        this.requested -= 1;
        this.queue.unshift(index);
        this.logger.debug(
          { err, sha256: this.part.sha256, index },
          'blob request not sent; will retry',
        );
        this.retryLater();
      });
  }

  private retryLater(): void {
    if (this.retryTimer || this.settled) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.pump();
      },
      Math.min(1000, this.options.requestTimeoutMs),
    );
  }

  /** Counts a failed attempt of `index`; false (and the download failed) once out of attempts. */
  private countAttempt(index: number, why: string): boolean {
    const n = (this.attempts.get(index) ?? 0) + 1;
    this.attempts.set(index, n);
    if (n < this.options.maxAttempts) return true;
    const { offset } = this.part.blockRange(index);
    this.fail(
      new DownloadError(
        'EF_AGENT_DOWNLOAD_TIMEOUT',
        `block at offset ${offset} of ${this.part.sha256} failed ${n} times (${why})`,
        { sha256: this.part.sha256, offset, attempts: n, reason: why },
      ),
    );
    return false;
  }

  private onTimeout(requestId: string): void {
    const entry = this.inflight.get(requestId);
    if (!entry || this.settled) return;
    this.inflight.delete(requestId);
    // Only time spent connected counts: an offline device waits for its link, for days if need be.
    if (this.deps.link.connected && !this.countAttempt(entry.index, 'no answer')) return;
    this.queue.unshift(entry.index);
    this.pump();
  }

  private onResponse(payload: Buffer): void {
    if (this.settled) return;
    let frame: ReturnType<typeof decodeBlobResponse>;
    try {
      frame = decodeBlobResponse(payload);
    } catch (err) {
      // Unmatched garbage: the request it was meant for times out and is sent again.
      this.logger.debug({ err }, 'malformed blob response ignored');
      return;
    }
    const { header, bytes } = frame;
    const entry = this.inflight.get(header.requestId);
    if (!entry) return; // a late answer to a retried request, or another download's
    clearTimeout(entry.timer);
    this.inflight.delete(header.requestId);
    const { sha256, totalBytes } = this.part;
    if (header.error) {
      this.fail(
        new DownloadError(
          'EF_AGENT_DOWNLOAD_REMOTE',
          `hub refused block at offset ${header.offset} of ${sha256}: ${header.error.code}: ${header.error.message}`,
          {
            sha256,
            offset: header.offset,
            remoteCode: header.error.code,
            remoteMessage: header.error.message,
          },
        ),
      );
      return;
    }
    if (header.total !== totalBytes) {
      this.fail(
        new DownloadError(
          'EF_AGENT_DOWNLOAD_SIZE_MISMATCH',
          `hub says ${sha256} is ${header.total} bytes, the desired state says ${totalBytes}`,
          { sha256, hubBytes: header.total, desiredBytes: totalBytes },
        ),
      );
      return;
    }
    const { offset, length } = this.part.blockRange(entry.index);
    if (header.sha256 !== sha256 || header.offset !== offset || header.length !== length) {
      if (!this.countAttempt(entry.index, 'answer for another range')) return;
      this.queue.unshift(entry.index);
      this.pump();
      return;
    }
    this.part.write(entry.index, bytes).then(
      () => {
        if (this.settled) return;
        this.remaining -= 1;
        this.progress({ bytes: this.part.receivedBytes(), total: totalBytes });
        if (this.remaining === 0) this.succeed();
      },
      (err: unknown) => this.fail(err),
    );
    this.pump();
  }

  private cleanup(): void {
    this.settled = true;
    for (const entry of this.inflight.values()) clearTimeout(entry.timer);
    this.inflight.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private succeed(): void {
    if (this.settled) return;
    this.cleanup();
    this.resolve(this.requested);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.cleanup();
    this.reject(err);
  }
}
