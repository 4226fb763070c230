/**
 * The device side of the hub benchmark, run as a child process (`fork`) so that the figures are
 * the hub's and not shared with the clients' CPU time in one event loop. The parent sends one
 * job over IPC; the child connects its MQTT clients, prepares every payload, says `ready`,
 * waits for `go`, runs the job and reports its own view (acks seen, bytes checked).
 */
import { createHash } from 'node:crypto';
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { decodeBlobResponse, topics } from '@edgefleet/protocol';
import type { Ack } from '@edgefleet/protocol';

/** A device's credentials. */
export interface BenchDevice {
  id: string;
  password: string;
}

/** Telemetry job: every device sends `messages` health batches with a window of unacked ones. */
export interface TelemetryJob {
  kind: 'telemetry';
  url: string;
  devices: BenchDevice[];
  messagesPerDevice: number;
  recordsPerBatch: number;
  /** Batches published and not yet acked by the hub, per device (the agent's outbox window). */
  window: number;
}

/** Blob job: each device downloads `bytes` of the blob with a window of block requests. */
export interface BlobJob {
  kind: 'blob';
  url: string;
  devices: BenchDevice[];
  sha256: string;
  /** Bytes each device downloads from offset 0 (the whole blob when it equals its size). */
  bytes: number;
  blockBytes: number;
  window: number;
  /** A request unanswered this long is sent again (the agent's timeout is 15 s). */
  requestTimeoutMs: number;
}

export type DeviceJob = TelemetryJob | BlobJob;

/** What the child reports at the end. */
export interface JobReport {
  /** Per device: ms from `go` to its last ack or last block. */
  finishedMs: number[];
  /** Telemetry: seqs acked in total. Blob: blocks re-requested after a timeout. */
  acked: number;
  retried: number;
  /** Blob: every device's bytes hashed to the expected sha256 (whole blob) or matched. */
  sha256Ok: boolean;
  digests: string[];
  /** Telemetry: mean payload size in bytes. */
  payloadBytes: number;
  /** CPU time (user + system) the child spent from `go` to the end, in ms. */
  cpuMs: number;
}

export type ChildMessage =
  { type: 'ready' } | { type: 'done'; report: JobReport } | { type: 'error'; message: string };

const BOOT = 'bench-boot-0001';

function send(message: ChildMessage): void {
  process.send?.(message);
}

function connectDevice(url: string, d: BenchDevice): Promise<MqttClient> {
  const client = connect(url, {
    protocolVersion: 4,
    username: d.id,
    password: d.password,
    clientId: `${d.id}-bench`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

function healthRecord(ts: string, i: number): object {
  return {
    ts,
    uptimeS: 3600 + i,
    cpu: 0.42,
    memory: { rss: 120e6, total: 4e9, free: 2e9 },
    disk: { free: 10e9, total: 32e9 },
    outbox: { depth: 3, bytes: 4096, dropped: 0, expired: 0 },
    models: [
      {
        name: 'pm',
        version: '1.0.0',
        requests: 1200,
        errors: 1,
        latencyMs: { p50: 0.8, p95: 1.9, p99: 3.1 },
      },
    ],
  };
}

async function runTelemetry(
  job: TelemetryJob,
  clients: MqttClient[],
  go: Promise<number>,
  ready: () => void,
): Promise<JobReport> {
  // Payloads are built before `go`, so the clients only publish while timed.
  const payloads = job.devices.map((d) =>
    Array.from({ length: job.messagesPerDevice }, (_, seq) => {
      const ts = new Date().toISOString();
      return Buffer.from(
        JSON.stringify({
          device: d.id,
          bootId: BOOT,
          seq,
          stream: 'health',
          sentAt: ts,
          records: Array.from({ length: job.recordsPerBatch }, (_, i) => healthRecord(ts, i)),
        }),
      );
    }),
  );
  ready();
  const start = await go;
  let acked = 0;
  const finishedMs = await Promise.all(
    clients.map(
      (client, i) =>
        new Promise<number>((resolve) => {
          const d = job.devices[i] as BenchDevice;
          const mine = payloads[i] as Buffer[];
          const ackedSeqs = new Uint8Array(mine.length);
          let ackedHere = 0;
          let next = 0;
          let inFlight = 0;
          const pump = () => {
            while (inFlight < job.window && next < mine.length) {
              inFlight += 1;
              client.publish(topics.telemetry(d.id, 'health'), mine[next] as Buffer, { qos: 1 });
              next += 1;
            }
          };
          client.on('message', (topic, payload) => {
            if (topic !== topics.ack(d.id)) return;
            const ack = JSON.parse(payload.toString('utf8')) as Ack;
            for (const [from, to] of ack.ranges) {
              for (let s = from; s <= to && s < mine.length; s++) {
                if (ackedSeqs[s] === 0) {
                  ackedSeqs[s] = 1;
                  ackedHere += 1;
                  inFlight -= 1;
                }
              }
            }
            if (ackedHere === mine.length) {
              acked += ackedHere;
              resolve(performance.now() - start);
            } else pump();
          });
          pump();
        }),
    ),
  );
  const all = payloads.flat();
  const payloadBytes = all.reduce((a, b) => a + b.length, 0) / Math.max(1, all.length);
  return { finishedMs, acked, retried: 0, sha256Ok: true, digests: [], payloadBytes, cpuMs: 0 };
}

async function download(
  job: BlobJob,
  client: MqttClient,
  d: BenchDevice,
  start: number,
): Promise<{ ms: number; digest: string; retried: number }> {
  const out = Buffer.alloc(job.bytes);
  const pending = new Map<string, { offset: number; timer: NodeJS.Timeout }>();
  const queue: number[] = [];
  for (let o = 0; o < job.bytes; o += job.blockBytes) queue.push(o);
  let received = 0;
  let seq = 0;
  let retried = 0;
  return new Promise((resolve) => {
    const request = () => {
      while (pending.size < job.window && queue.length > 0) {
        const offset = queue.shift() as number;
        const requestId = `${d.id}.${offset}.${(seq += 1)}`;
        const timer = setTimeout(() => {
          pending.delete(requestId);
          retried += 1;
          queue.unshift(offset);
          request();
        }, job.requestTimeoutMs);
        pending.set(requestId, { offset, timer });
        const length = Math.min(job.blockBytes, job.bytes - offset);
        client.publish(
          topics.blobReq(d.id),
          JSON.stringify({ sha256: job.sha256, offset, length, requestId }),
          { qos: 1 },
        );
      }
    };
    client.on('message', (topic, payload) => {
      if (topic !== topics.blobRes(d.id)) return;
      const { header, bytes } = decodeBlobResponse(payload);
      const entry = pending.get(header.requestId);
      if (entry === undefined || header.error) return;
      clearTimeout(entry.timer);
      pending.delete(header.requestId);
      bytes.copy(out, header.offset);
      received += bytes.length;
      if (received === job.bytes) {
        const ms = performance.now() - start;
        resolve({ ms, digest: createHash('sha256').update(out).digest('hex'), retried });
      } else request();
    });
    request();
  });
}

async function runBlob(
  job: BlobJob,
  clients: MqttClient[],
  go: Promise<number>,
  ready: () => void,
): Promise<JobReport> {
  await Promise.all(
    clients.map((c, i) => c.subscribeAsync(topics.blobRes(job.devices[i]!.id), { qos: 1 })),
  );
  ready();
  const start = await go;
  const results = await Promise.all(
    clients.map((c, i) => download(job, c, job.devices[i] as BenchDevice, start)),
  );
  const digests = results.map((r) => r.digest);
  return {
    finishedMs: results.map((r) => r.ms),
    acked: 0,
    retried: results.reduce((a, r) => a + r.retried, 0),
    sha256Ok: digests.every((x) => x === digests[0]),
    digests,
    payloadBytes: 0,
    cpuMs: 0,
  };
}

async function run(job: DeviceJob): Promise<JobReport> {
  const clients = await Promise.all(job.devices.map((d) => connectDevice(job.url, d)));
  try {
    if (job.kind === 'telemetry') {
      await Promise.all(
        clients.map((c, i) => c.subscribeAsync(topics.ack(job.devices[i]!.id), { qos: 1 })),
      );
    }
    let started: (t: number) => void = () => {};
    const go = new Promise<number>((resolve) => (started = resolve));
    process.on('message', (m: { type?: string }) => {
      if (m.type === 'go') started(performance.now());
    });
    const ready = () => send({ type: 'ready' });
    let cpu = process.cpuUsage();
    void go.then(() => (cpu = process.cpuUsage()));
    const report =
      job.kind === 'telemetry'
        ? await runTelemetry(job, clients, go, ready)
        : await runBlob(job, clients, go, ready);
    const used = process.cpuUsage(cpu);
    return { ...report, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
}

// Entry: the parent's first message is the job.
process.once('message', (job: DeviceJob) => {
  run(job).then(
    (report) => {
      send({ type: 'done', report });
      process.disconnect?.();
    },
    (err: unknown) => {
      send({
        type: 'error',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      process.disconnect?.();
    },
  );
});
