/**
 * Bundle transfer over MQTT ([P-BL-1], [P-BL-2]): block requests are queued per device and
 * served round-robin across devices with a global concurrency, so one device downloading a
 * large model cannot starve the others; each device may have a bounded number of requests
 * waiting or in flight (more are dropped and counted; the agent re-requests on timeout).
 *
 * Blob files stay open in an LRU (a download is hundreds of reads of one file) and blocks are
 * read into pooled buffers. Responses go out at QoS 0 by default: the agent's block request is
 * already the unit of retry (an unanswered block is requested again after its timeout, every
 * block is checked against its request and the whole bundle against its sha256, [P-BL-1]), so
 * QoS 1 would only add a PUBACK per block on both legs, the broker's in-flight window, and a
 * broker round trip before the block's slot is free. QoS 0 is lost only when the device
 * disconnects or the broker's per-client queue overflows, which the per-device bound keeps far
 * away; the publish still waits for the socket to drain, so a slow broker slows the reads.
 */
import {
  encodeBlobResponse,
  MAX_BLOB_BLOCK_BYTES,
  MAX_BLOB_HEADER_BYTES,
  topics,
} from '@edgefleet/protocol';
import type { BlobRequest } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { BlobReadCache } from '../blobs/blob-read-cache.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { BufferPool } from '../blobs/buffer-pool.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import type { MessagePublisher } from './message-publisher.js';
import type { RejectTracker } from './reject-tracker.js';

/** Error codes carried in blob response frames (not thrown). */
export const BLOB_FRAME_ERRORS = {
  notFound: 'EF_HUB_BLOB_NOT_FOUND',
  range: 'EF_HUB_BLOB_INVALID_RANGE',
  io: 'EF_HUB_BLOB_IO',
} as const;

/** What the server needs. */
export interface BlobServerDeps {
  blobs: BlobStore;
  publish: MessagePublisher;
  metrics: HubMetrics;
  rejects: RejectTracker;
  logger: Logger;
  /** Largest MQTT payload the broker accepts; blocks are cut to fit in one frame. */
  maxPayloadBytes: number;
  /**
   * Requests waiting or in flight per device (default 32: four times the agent's default
   * window of 8, so a request sent as soon as the previous answer arrives is never refused).
   */
  maxPerDevice?: number;
  /** Blocks read and published at once, across devices (default 8). */
  concurrency?: number;
  /** QoS of block responses (default 0, see above). */
  responseQos?: 0 | 1;
  /** Blob files kept open (default 32). */
  maxOpenBlobs?: number;
}

/** Serves blob block requests fairly. */
export class BlobServer {
  readonly #deps: BlobServerDeps;
  readonly #maxPerDevice: number;
  readonly #concurrency: number;
  readonly #maxBlock: number;
  readonly #qos: 0 | 1;
  readonly #files: BlobReadCache;
  readonly #buffers: BufferPool;
  readonly #pending = new Map<string, BlobRequest[]>();
  /** Devices with waiting requests, in service order; each appears once. */
  readonly #ready: string[] = [];
  readonly #perDevice = new Map<string, number>();
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #closed = false;

  constructor(deps: BlobServerDeps) {
    this.#deps = deps;
    this.#maxPerDevice = deps.maxPerDevice ?? 32;
    this.#concurrency = deps.concurrency ?? 8;
    this.#qos = deps.responseQos ?? 0;
    // 4-byte length prefix plus the largest header the protocol allows; no request asks more
    // than MAX_BLOB_BLOCK_BYTES.
    this.#maxBlock = Math.min(
      MAX_BLOB_BLOCK_BYTES,
      deps.maxPayloadBytes - 4 - MAX_BLOB_HEADER_BYTES,
    );
    if (this.#maxBlock < 1) throw new RangeError('maxPayloadBytes leaves no room for blob bytes');
    this.#files = new BlobReadCache(deps.blobs, { maxOpen: deps.maxOpenBlobs ?? 32 });
    this.#buffers = new BufferPool(this.#maxBlock, this.#concurrency);
  }

  /** Queues a request of `deviceId`; false when the device already has too many (dropped). */
  request(deviceId: string, req: BlobRequest): boolean {
    if (this.#closed) return false;
    const count = this.#perDevice.get(deviceId) ?? 0;
    if (count >= this.#maxPerDevice) {
      this.#deps.rejects.reject(
        deviceId,
        'blob-busy',
        `more than ${this.#maxPerDevice} blob requests in flight`,
      );
      return false;
    }
    this.#perDevice.set(deviceId, count + 1);
    const queue = this.#pending.get(deviceId);
    if (queue === undefined) {
      this.#pending.set(deviceId, [req]);
      this.#ready.push(deviceId);
    } else {
      queue.push(req);
    }
    this.#pump();
    return true;
  }

  #pump(): void {
    while (this.#inFlight < this.#concurrency && this.#ready.length > 0) {
      const deviceId = this.#ready.shift() as string;
      const queue = this.#pending.get(deviceId) ?? [];
      const req = queue.shift();
      // Back of the line after one block: round-robin across devices.
      if (queue.length > 0) this.#ready.push(deviceId);
      else this.#pending.delete(deviceId);
      if (req === undefined) continue;
      this.#inFlight += 1;
      void this.#serve(deviceId, req).finally(() => {
        this.#inFlight -= 1;
        const left = (this.#perDevice.get(deviceId) ?? 1) - 1;
        if (left > 0) this.#perDevice.set(deviceId, left);
        else this.#perDevice.delete(deviceId);
        this.#pump();
        if (this.#inFlight === 0 && this.#ready.length === 0) {
          for (const resolve of this.#idle.splice(0)) resolve();
        }
      });
    }
  }

  async #serve(deviceId: string, req: BlobRequest): Promise<void> {
    const topic = topics.blobRes(deviceId);
    const base = { requestId: req.requestId, sha256: req.sha256 };
    let frame: Buffer;
    let served = 0;
    const buffer = this.#buffers.take();
    try {
      const read = await this.#files.read(
        req.sha256,
        req.offset,
        Math.min(req.length, this.#maxBlock),
        buffer,
      );
      if (read === undefined) {
        frame = errorFrame(base, 0, BLOB_FRAME_ERRORS.notFound, 'no such blob on this hub');
      } else if (req.offset >= read.size) {
        frame = errorFrame(
          base,
          read.size,
          BLOB_FRAME_ERRORS.range,
          `offset ${req.offset} is past the ${read.size}-byte blob`,
        );
      } else {
        // encodeBlobResponse copies the bytes into the frame, so the buffer can go back.
        frame = encodeBlobResponse(
          { ...base, offset: req.offset, length: read.bytesRead, total: read.size },
          buffer.subarray(0, read.bytesRead),
        );
        served = read.bytesRead;
      }
    } catch (err) {
      this.#deps.logger.warn({ deviceId, sha256: req.sha256, err }, 'blob read failed');
      frame = errorFrame(base, 0, BLOB_FRAME_ERRORS.io, 'the hub could not read the blob');
    } finally {
      this.#buffers.give(buffer);
    }
    try {
      await this.#deps.publish(topic, frame, { qos: this.#qos, retain: false });
      this.#deps.metrics.blobBytesServed.inc({}, served);
      this.#deps.metrics.blobRequests.inc({ outcome: served > 0 ? 'served' : 'error' });
    } catch (err) {
      this.#deps.logger.debug({ deviceId, err }, 'blob response not published');
    }
  }

  /** Stops accepting requests and waits for those in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#ready.length = 0;
    this.#pending.clear();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#files.close();
  }
}

function errorFrame(
  base: { requestId: string; sha256: string },
  total: number,
  code: string,
  message: string,
): Buffer {
  // An error frame carries no bytes; offset 0 keeps offset + length <= total ([P-BL-2]).
  return encodeBlobResponse(
    { ...base, offset: 0, length: 0, total, error: { code, message } },
    Buffer.alloc(0),
  );
}
