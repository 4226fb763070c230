/**
 * Picks the transport for a bundle (DESIGN section 5): HTTP range requests when the desired
 * model has a `url` and the agent's config allows HTTP, MQTT blob transfer otherwise, and MQTT
 * as the fallback when HTTP fails (both share the partial file and bitmap, so nothing already
 * fetched is fetched again).
 */
import { isEdgefleetError } from '@edgefleet/protocol';
import { BlobDownloader } from '../download/blob-downloader.js';
import type { DownloadProgress } from '../download/download-types.js';
import { HttpRangeDownloader } from '../download/http-range-downloader.js';
import type { AgentLink } from '../link/agent-link-api.js';
import type { AgentDb } from '../state/agent-db.js';
import type { ConvergeLogger } from './converge-logger.js';
import type { ResolvedDownloadOptions } from './converger-options.js';

// Failures no other transport can fix: the bytes or the disk are the problem.
const FINAL_CODES = [
  'EF_AGENT_DOWNLOAD_SHA_MISMATCH',
  'EF_AGENT_DOWNLOAD_SIZE_MISMATCH',
  'EF_AGENT_DOWNLOAD_NO_SPACE',
];

/** What a bundle fetch needs to know about the bundle. */
export interface FetchTarget {
  executionId: string;
  sha256: string;
  bytes: number;
  url: string | undefined;
}

/** Fetches bundles into `<state>/downloads`. */
export class BundleFetcher {
  private readonly blob: BlobDownloader;
  private readonly http: HttpRangeDownloader | undefined;

  constructor(
    deps: { db: AgentDb; link: AgentLink; deviceId: string; dir: string },
    options: ResolvedDownloadOptions,
    private readonly logger: ConvergeLogger,
  ) {
    this.blob = new BlobDownloader({
      ...deps,
      window: options.window,
      blockBytes: options.blockBytes,
      requestTimeoutMs: options.requestTimeoutMs,
      progressIntervalMs: options.progressIntervalMs,
      logger,
    });
    this.http = options.http
      ? new HttpRangeDownloader({
          db: deps.db,
          dir: deps.dir,
          auth: options.http,
          blockBytes: options.blockBytes,
          progressIntervalMs: options.progressIntervalMs,
          logger,
        })
      : undefined;
  }

  /**
   * Downloads and sha256-checks the bundle; returns the `.efb` path.
   *
   * @example
   * const efb = await fetcher.fetch(exec, signal, (p) => report(p));
   */
  async fetch(
    target: FetchTarget,
    signal: AbortSignal,
    onProgress: (progress: DownloadProgress) => void,
  ): Promise<string> {
    const request = { sha256: target.sha256, bytes: target.bytes, signal, onProgress };
    if (target.url !== undefined && this.http) {
      try {
        return (await this.http.download({ ...request, url: target.url })).path;
      } catch (err) {
        if (signal.aborted || FINAL_CODES.some((code) => isEdgefleetError(err, code))) throw err;
        this.logger.warn(
          { err, executionId: target.executionId },
          'HTTP download failed; continuing over MQTT',
        );
      }
    }
    return (await this.blob.download(request)).path;
  }
}
