/**
 * The outbox's tables in the agent database (`agent-db.ts`).
 *
 * - `outbox_records_<stream>`: one table per stream, one row per report in append order
 *   (`id`); `batch` is null until the record is packed into a batch, then the batch's id. No
 *   secondary index, so an append writes one B-tree: the sender packs the oldest unsent rows,
 *   and those always follow the (few) rows of formed batches, which sit at the head.
 * - `outbox_batches`: a batch as first formed, with the `(boot_id, seq)` it was given then
 *   ([P-AK-1]) and the id range of its rows; kept until the hub acks that seq, so a resend
 *   after a restart is the same message to the hub's dedupe.
 * - `outbox_boots`: the next seq of each boot that still has batches (one counter per boot,
 *   shared by status and every telemetry stream).
 * - `outbox_counters`: records dropped and expired per stream, and how many were reported.
 */
import type { Statement } from 'better-sqlite3';
import type { AgentDb } from '../state/agent-db.js';
import type { OutboxStream } from './outbox-api.js';
import { OUTBOX_STREAMS } from './outbox-streams.js';

/** The table holding one stream's records. */
export function recordsTable(stream: OutboxStream): string {
  return `outbox_records_${stream}`;
}

/**
 * Creates the outbox tables if missing (idempotent).
 *
 * @example
 * ensureOutboxTables(openAgentDb(path));
 */
export function ensureOutboxTables(db: AgentDb): void {
  const records = OUTBOX_STREAMS.map(
    (stream) => `CREATE TABLE IF NOT EXISTS ${recordsTable(stream)} (
      id INTEGER PRIMARY KEY,
      created_ms INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      body TEXT NOT NULL,
      batch INTEGER
    );`,
  ).join('\n');
  db.exec(`
    ${records}
    CREATE TABLE IF NOT EXISTS outbox_batches (
      id INTEGER PRIMARY KEY,
      boot_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      stream TEXT NOT NULL,
      first_id INTEGER NOT NULL,
      last_id INTEGER NOT NULL,
      records INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      newest_ms INTEGER NOT NULL,
      UNIQUE (boot_id, seq)
    );
    CREATE TABLE IF NOT EXISTS outbox_boots (
      boot_id TEXT PRIMARY KEY,
      next_seq INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS outbox_counters (
      stream TEXT PRIMARY KEY,
      dropped INTEGER NOT NULL DEFAULT 0,
      expired INTEGER NOT NULL DEFAULT 0,
      reported_dropped INTEGER NOT NULL DEFAULT 0,
      reported_expired INTEGER NOT NULL DEFAULT 0
    );
  `);
}

/** The prepared statements on one stream's table. */
export type StreamStatements = Record<
  | 'insert'
  | 'totals'
  | 'unsent'
  | 'unsentSizes'
  | 'markBatch'
  | 'batchBodies'
  | 'deleteBatch'
  | 'deleteUnsentUpTo'
  | 'oldestUnsent'
  | 'expiredTotals'
  | 'deleteExpired',
  Statement
>;

/** Prepares the statements on `stream`'s table (after {@link ensureOutboxTables}). */
export function streamStatements(db: AgentDb, stream: OutboxStream): StreamStatements {
  const t = recordsTable(stream);
  const p = (sql: string) => db.prepare(sql);
  return {
    insert: p(`INSERT INTO ${t} (created_ms, bytes, body) VALUES (?, ?, ?)`),
    totals: p(
      `SELECT COUNT(*) AS n, TOTAL(bytes) AS bytes, TOTAL(batch IS NULL) AS unsent FROM ${t}`,
    ),
    unsent: p(
      `SELECT id, bytes, body, created_ms AS createdMs FROM ${t} WHERE batch IS NULL ORDER BY id LIMIT ?`,
    ),
    unsentSizes: p(`SELECT id, bytes FROM ${t} WHERE batch IS NULL ORDER BY id LIMIT ?`),
    markBatch: p(`UPDATE ${t} SET batch = ? WHERE id BETWEEN ? AND ? AND batch IS NULL`),
    batchBodies: p(`SELECT body FROM ${t} WHERE id BETWEEN ? AND ? ORDER BY id`).pluck(),
    deleteBatch: p(`DELETE FROM ${t} WHERE id BETWEEN ? AND ?`),
    deleteUnsentUpTo: p(`DELETE FROM ${t} WHERE batch IS NULL AND id <= ?`),
    oldestUnsent: p(`SELECT created_ms FROM ${t} WHERE batch IS NULL ORDER BY id LIMIT 1`).pluck(),
    expiredTotals: p(
      `SELECT COUNT(*) AS n, TOTAL(bytes) AS bytes FROM ${t} WHERE batch IS NULL AND created_ms < ?`,
    ),
    deleteExpired: p(`DELETE FROM ${t} WHERE batch IS NULL AND created_ms < ?`),
  };
}
