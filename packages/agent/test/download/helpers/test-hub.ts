/**
 * A stand-in for the hub in agent tests: the real embedded broker (port 0, any password), a
 * hub MQTT client, and a tiny blob server that answers `ef/v1/d/+/blob/req` from registered
 * buffers with `encodeBlobResponse`, logging every request.
 */
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import {
  encodeBlobResponse,
  isDeviceId,
  parseBlobRequest,
  parseTopic,
  topicFilters,
  topics,
} from '@edgefleet/protocol';
import type { BlobRequest } from '@edgefleet/protocol';
import { startEmbeddedBroker } from '../../../../hub/src/broker/embedded-broker.js';
import type { EmbeddedBroker } from '../../../../hub/src/broker/embedded-broker.js';

const HUB_USER = '_hub';

/** Decides what the blob server does with one request. */
export type BlobRequestPolicy = (
  request: BlobRequest,
  index: number,
) => 'answer' | 'drop' | { error: { code: string; message: string } };

export class TestHub {
  /** Every blob request received, in order. */
  readonly requests: BlobRequest[] = [];
  /** Requests answered with data. */
  answered = 0;
  /** Decides per request; default answers all. */
  policy: BlobRequestPolicy = () => 'answer';
  private readonly blobs = new Map<string, Buffer>();

  private constructor(
    readonly broker: EmbeddedBroker,
    readonly client: MqttClient,
  ) {
    client.on('message', (topic, payload) => this.onRequest(topic, payload));
  }

  static async start(): Promise<TestHub> {
    const broker = await startEmbeddedBroker({
      port: 0,
      authenticate: async (username) => {
        if (username === HUB_USER) return { kind: 'hub' };
        return isDeviceId(username) ? { kind: 'device', deviceId: username } : undefined;
      },
    });
    const client = connect(broker.url, {
      protocolVersion: 4,
      username: HUB_USER,
      password: 'hub',
      reconnectPeriod: 0,
      clientId: `hub-${Math.random().toString(16).slice(2, 10)}`,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(topicFilters.blobReq, { qos: 1 });
    return new TestHub(broker, client);
  }

  get url(): string {
    return this.broker.url;
  }

  /** Serves `bytes` under `sha256` (which may deliberately not be their digest). */
  serve(sha256: string, bytes: Buffer): void {
    this.blobs.set(sha256, bytes);
  }

  /** Publishes a desired-state envelope, retained, as the hub does. */
  async publishDesired(deviceId: string, envelope: unknown): Promise<void> {
    const payload = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
    await this.client.publishAsync(topics.desired(deviceId), payload, { qos: 1, retain: true });
  }

  private onRequest(topic: string, payload: Buffer): void {
    let deviceId: string;
    let request: BlobRequest;
    try {
      const parsed = parseTopic(topic);
      if (parsed.kind !== 'blob-req') return;
      deviceId = parsed.deviceId;
      request = parseBlobRequest(payload);
    } catch {
      return;
    }
    const index = this.requests.length;
    this.requests.push(request);
    const decision = this.policy(request, index);
    if (decision === 'drop') return;
    const blob = this.blobs.get(request.sha256);
    const header = { requestId: request.requestId, sha256: request.sha256, offset: request.offset };
    let frame: Buffer;
    if (typeof decision === 'object' || !blob) {
      const error =
        typeof decision === 'object'
          ? decision.error
          : { code: 'EF_HUB_BLOB_NOT_FOUND', message: 'no such blob' };
      frame = encodeBlobResponse(
        { ...header, offset: 0, length: 0, total: blob?.length ?? 0, error },
        Buffer.alloc(0),
      );
    } else {
      const slice = blob.subarray(
        request.offset,
        Math.min(blob.length, request.offset + request.length),
      );
      frame = encodeBlobResponse({ ...header, length: slice.length, total: blob.length }, slice);
      this.answered += 1;
    }
    this.client.publish(topics.blobRes(deviceId), frame, { qos: 1 });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.client.end(true, {}, () => resolve()));
    await this.broker.close();
  }
}

/**
 * Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws).
 *
 * @example
 * await waitFor(() => reports.some((r) => r.state === 'healthy'));
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  what: string | (() => string) = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
