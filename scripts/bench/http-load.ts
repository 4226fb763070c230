/**
 * A minimal HTTP/1.1 load generator: keep-alive connections, one request in flight per
 * connection, pre-built request bytes, responses framed by Content-Length. It runs in its own
 * thread and parses as little as possible, so that on a 2-core machine the client takes as
 * little CPU from the server as it can.
 */
import { Worker } from 'node:worker_threads';

export interface HttpLoadOptions {
  port: number;
  host?: string;
  path: string;
  /** JSON bodies, sent round-robin. */
  bodies: readonly string[];
  connections: number;
  seconds: number;
  /** Not counted, before the measured window; default 500. */
  warmupMs?: number;
}

const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const { port, host, path, bodies, connections, warmupMs, measureMs } = workerData;
const requests = bodies.map((b) => Buffer.concat([Buffer.from(
  'POST ' + path + ' HTTP/1.1\\r\\nHost: ' + host + '\\r\\nContent-Type: application/json\\r\\nContent-Length: ' +
  Buffer.byteLength(b) + '\\r\\n\\r\\n'), Buffer.from(b)]));
const measureFrom = Date.now() + warmupMs;
const stopAt = measureFrom + measureMs;
let ok = 0, failed = 0, open = connections, firstError;
for (let c = 0; c < connections; c++) {
  const socket = net.connect(port, host);
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let n = c;
  const send = () => {
    if (Date.now() >= stopAt) { socket.end(); return; }
    socket.write(requests[n++ % requests.length]);
  };
  socket.on('connect', send);
  socket.on('close', () => { if (--open === 0) parentPort.postMessage({ ok, failed, firstError }); });
  socket.on('error', (err) => { firstError ??= err.message; });
  socket.on('data', (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const h = buf.indexOf('\\r\\n\\r\\n');
      if (h < 0) return;
      const head = buf.toString('latin1', 0, h);
      const m = /content-length: *(\\d+)/i.exec(head);
      const end = h + 4 + (m ? Number(m[1]) : 0);
      if (buf.length < end) return;
      const now = Date.now();
      const good = head.startsWith('HTTP/1.1 200');
      if (!good) firstError ??= buf.toString('utf8', 0, end).slice(0, 300);
      if (now >= measureFrom && now < stopAt) { if (good) ok++; else failed++; }
      buf = buf.subarray(end);
      send();
    }
  });
}`;

/**
 * Answered (200) requests per second over the measured window; throws if any request failed.
 *
 * @example
 * const rate = await httpLoad({ port, path: '/v1/models/pm/predict', bodies, connections: 32, seconds: 3 });
 */
export async function httpLoad(options: HttpLoadOptions): Promise<number> {
  const worker = new Worker(CLIENT, {
    eval: true,
    workerData: {
      port: options.port,
      host: options.host ?? '127.0.0.1',
      path: options.path,
      bodies: [...options.bodies],
      connections: options.connections,
      warmupMs: options.warmupMs ?? 500,
      measureMs: options.seconds * 1000,
    },
  });
  try {
    const result = await new Promise<{ ok: number; failed: number; firstError?: string }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    if (result.failed > 0 || result.ok === 0) {
      throw new Error(
        `${result.failed} of ${result.ok + result.failed} HTTP requests failed: ${result.firstError ?? 'none answered'}`,
      );
    }
    return result.ok / options.seconds;
  } finally {
    await worker.terminate();
  }
}
