// Outbox write throughput: durable appends to the agent's SQLite outbox (WAL, synchronous=NORMAL,
// the agent's default), one record per transaction and in groups of 100 per transaction, with
// the database's default (shared) locking and with `locking: 'exclusive'`. Each append
// validates the record against its stream's schema, as in production. Goal (issue 6):
// >= 50,000 writes/s one by one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Outbox } from '../../packages/agent/src/outbox/outbox.js';
import { openAgentDb } from '../../packages/agent/src/state/agent-db.js';
import type { AgentDbOptions } from '../../packages/agent/src/state/agent-db.js';

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

function withOutbox<T>(locking: AgentDbOptions['locking'], fn: (outbox: Outbox) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ef-outbox-bench-'));
  const db = openAgentDb(join(dir, 'agent.db'), { locking });
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

export interface OutboxFigures {
  /** One record per transaction, the database's default locking (what the agent does today). */
  writesPerSecond: number;
  /** `appendMany` in groups of 100 records per transaction, default locking. */
  batchedWritesPerSecond: number;
  /** The same two with `openAgentDb(path, { locking: 'exclusive' })`. */
  exclusiveWritesPerSecond: number;
  exclusiveBatchedWritesPerSecond: number;
  /** Medians over this many interleaved rounds. */
  rounds: number;
}

/**
 * Appends records one by one (one durable transaction each), then with `appendMany` in groups
 * of 100, each into a fresh database, under both locking modes, in interleaved rounds so that
 * load from other processes hits every variant alike; returns medians of records per second.
 *
 * @example
 * const { writesPerSecond, batchedWritesPerSecond } = await measureOutboxWrites();
 */
export async function measureOutboxWrites(rounds = 3): Promise<OutboxFigures> {
  const records = Array.from({ length: BATCHED_WRITES }, (_, i) => record(i));
  const single = (locking: AgentDbOptions['locking']): number =>
    withOutbox(locking, (outbox) => {
      for (let i = 0; i < 1000; i++) outbox.append('inference', records[i]!);
      const start = performance.now();
      for (let i = 0; i < SINGLE_WRITES; i++) outbox.append('inference', records[i]!);
      return SINGLE_WRITES / ((performance.now() - start) / 1000);
    });
  const batched = (locking: AgentDbOptions['locking']): number =>
    withOutbox(locking, (outbox) => {
      outbox.appendMany('inference', records.slice(0, 1000));
      const start = performance.now();
      for (let i = 0; i < BATCHED_WRITES; i += GROUP) {
        outbox.appendMany('inference', records.slice(i, i + GROUP));
      }
      return BATCHED_WRITES / ((performance.now() - start) / 1000);
    });
  const samples: [number[], number[], number[], number[]] = [[], [], [], []];
  for (let round = 0; round < rounds; round++) {
    samples[0].push(single('normal'));
    samples[1].push(batched('normal'));
    samples[2].push(single('exclusive'));
    samples[3].push(batched('exclusive'));
    // Let the event loop breathe between rounds (the bench's log lines, timers).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    writesPerSecond: median(samples[0]),
    batchedWritesPerSecond: median(samples[1]),
    exclusiveWritesPerSecond: median(samples[2]),
    exclusiveBatchedWritesPerSecond: median(samples[3]),
    rounds,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
