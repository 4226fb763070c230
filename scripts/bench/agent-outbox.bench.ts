// Outbox write throughput: durable appends to the agent's SQLite outbox (WAL, synchronous=NORMAL,
// the agent's default), one record per transaction and in groups of 100 per transaction. Each
// append validates the record against its stream's schema, as in production. Goal (issue 6):
// >= 50,000 writes/s one by one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Outbox } from '../../packages/agent/src/outbox/outbox.js';
import { openAgentDb } from '../../packages/agent/src/state/agent-db.js';

const SINGLE_WRITES = 50_000;
const BATCHED_WRITES = 200_000;
const GROUP = 100;
const GiB = 1024 ** 3;

/** A typical inference summary record (about 230 bytes of JSON). */
function record(i: number): Record<string, unknown> {
  const ts = new Date().toISOString();
  return {
    model: 'pm-mlp',
    version: '1.0.0',
    windowStart: ts,
    windowEnd: ts,
    count: i,
    errors: 0,
    latencyMs: { p50: 0.41, p95: 0.93, p99: 1.7 },
    outputs: { counts: [i % 7, 3, 1] },
  };
}

function withOutbox<T>(fn: (outbox: Outbox) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ef-outbox-bench-'));
  const db = openAgentDb(join(dir, 'agent.db'));
  try {
    const outbox = new Outbox(db, {
      deviceId: 'bench-0001',
      bootId: '3f1c2a0e-7d8b-4c1a-9e2f-0a1b2c3d4e5f',
      streams: { inference: { maxBytes: GiB } },
    });
    return fn(outbox);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Appends records one by one (one durable transaction each), then with `appendMany` in groups
 * of 100, each into a fresh database, and returns records written per second.
 *
 * @example
 * const { writesPerSecond, batchedWritesPerSecond } = await measureOutboxWrites();
 */
export async function measureOutboxWrites(): Promise<{
  writesPerSecond: number;
  batchedWritesPerSecond: number;
}> {
  const records = Array.from({ length: BATCHED_WRITES }, (_, i) => record(i));
  const writesPerSecond = withOutbox((outbox) => {
    for (let i = 0; i < 1000; i++) outbox.append('inference', records[i]!);
    const start = performance.now();
    for (let i = 0; i < SINGLE_WRITES; i++) outbox.append('inference', records[i]!);
    return SINGLE_WRITES / ((performance.now() - start) / 1000);
  });
  const batchedWritesPerSecond = withOutbox((outbox) => {
    outbox.appendMany('inference', records.slice(0, 1000));
    const start = performance.now();
    for (let i = 0; i < BATCHED_WRITES; i += GROUP) {
      outbox.appendMany('inference', records.slice(i, i + GROUP));
    }
    return BATCHED_WRITES / ((performance.now() - start) / 1000);
  });
  return { writesPerSecond, batchedWritesPerSecond };
}
