/**
 * Bundle transfer over MQTT ([P-BL-1], [P-BL-2]): block requests are queued per device and
 * served round-robin across devices with a global concurrency, so one device downloading a
 * large model cannot starve the others; each device may have a bounded number of requests
 * waiting or in flight (more are dropped and counted; the agent re-requests on timeout).
 */
import { encodeBlobResponse, MAX_BLOB_HEADER_BYTES, topics } from '@edgefleet/protocol';
import type { BlobRequest } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
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
  /** Requests waiting or in flight per device (default 16). */
  maxPerDevice?: number;
  /** Blocks read and published at once, across devices (default 8). */
  concurrency?: number;
}

/** Serves blob block requests fairly. */
export class BlobServer {
  readonly #deps: BlobServerDeps;
  readonly #maxPerDevice: number;
  readonly #concurrency: number;
  readonly #maxBlock: number;
  readonly #pending = new Map<string, BlobRequest[]>();
  /** Devices with waiting requests, in service order; each appears once. */
  readonly #ready: string[] = [];
  readonly #perDevice = new Map<string, number>();
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #closed = false;

  constructor(deps: BlobServerDeps) {
    this.#deps = deps;
    this.#maxPerDevice = deps.maxPerDevice ?? 16;
    this.#concurrency = deps.concurrency ?? 8;
    // 4-byte length prefix plus the largest header the protocol allows.
    this.#maxBlock = deps.maxPayloadBytes - 4 - MAX_BLOB_HEADER_BYTES;
    if (this.#maxBlock < 1) throw new RangeError('maxPayloadBytes leaves no room for blob bytes');
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
    try {
      const blob = await this.#deps.blobs.open(req.sha256);
      if (blob === undefined) {
        frame = errorFrame(base, 0, BLOB_FRAME_ERRORS.notFound, 'no such blob on this hub');
      } else if (req.offset >= blob.size) {
        frame = errorFrame(
          base,
          blob.size,
          BLOB_FRAME_ERRORS.range,
          `offset ${req.offset} is past the ${blob.size}-byte blob`,
        );
      } else {
        const bytes = await blob.read(req.offset, Math.min(req.length, this.#maxBlock));
        frame = encodeBlobResponse(
          { ...base, offset: req.offset, length: bytes.length, total: blob.size },
          bytes,
        );
        served = bytes.length;
      }
    } catch (err) {
      this.#deps.logger.warn({ deviceId, sha256: req.sha256, err }, 'blob read failed');
      frame = errorFrame(base, 0, BLOB_FRAME_ERRORS.io, 'the hub could not read the blob');
    }
    try {
      await this.#deps.publish(topic, frame, { qos: 1, retain: false });
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
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
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
