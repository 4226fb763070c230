/**
 * The downloaders' SQLite table: one row per partial bundle download, keyed by the bundle's
 * sha256, holding its size, block size and received-block bitmap. MQTT and HTTP downloads share
 * it, so a download started over one transport resumes over the other.
 */
import type { AgentDb } from '../state/agent-db.js';

/** One partial download as stored. */
export interface PartialDownloadRow {
  sha256: string;
  totalBytes: number;
  blockBytes: number;
  bitmap: Buffer;
  receivedBlocks: number;
}

/**
 * Creates the downloaders' table (idempotent).
 *
 * @example
 * ensureDownloadTables(db);
 */
export function ensureDownloadTables(db: AgentDb): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS download_partials (
      sha256 TEXT PRIMARY KEY,
      total_bytes INTEGER NOT NULL,
      block_bytes INTEGER NOT NULL,
      bitmap BLOB NOT NULL,
      received_blocks INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
  `);
}

interface RawRow {
  sha256: string;
  total_bytes: number;
  block_bytes: number;
  bitmap: Buffer;
  received_blocks: number;
}

/**
 * The stored partial download of `sha256`, or undefined.
 *
 * @example
 * const row = readPartialRow(db, sha256);
 */
export function readPartialRow(db: AgentDb, sha256: string): PartialDownloadRow | undefined {
  const row = db
    .prepare(
      'SELECT sha256, total_bytes, block_bytes, bitmap, received_blocks FROM download_partials WHERE sha256 = ?',
    )
    .get(sha256) as RawRow | undefined;
  if (!row) return undefined;
  return {
    sha256: row.sha256,
    totalBytes: row.total_bytes,
    blockBytes: row.block_bytes,
    bitmap: Buffer.from(row.bitmap),
    receivedBlocks: row.received_blocks,
  };
}

/**
 * Inserts or replaces the row of a partial download.
 *
 * @example
 * writePartialRow(db, { sha256, totalBytes, blockBytes, bitmap, receivedBlocks: 0 });
 */
export function writePartialRow(db: AgentDb, row: PartialDownloadRow): void {
  db.prepare(
    `INSERT INTO download_partials (sha256, total_bytes, block_bytes, bitmap, received_blocks, updated_at)
     VALUES (@sha256, @totalBytes, @blockBytes, @bitmap, @receivedBlocks, @updatedAt)
     ON CONFLICT (sha256) DO UPDATE SET total_bytes = excluded.total_bytes,
       block_bytes = excluded.block_bytes, bitmap = excluded.bitmap,
       received_blocks = excluded.received_blocks, updated_at = excluded.updated_at`,
  ).run({ ...row, updatedAt: new Date().toISOString() });
}

/**
 * Forgets the partial download of `sha256` (finished, failed or garbage-collected).
 *
 * @example
 * deletePartialRow(db, sha256);
 */
export function deletePartialRow(db: AgentDb, sha256: string): void {
  db.prepare('DELETE FROM download_partials WHERE sha256 = ?').run(sha256);
}

/**
 * The sha256 of every partial download on record.
 *
 * @example
 * for (const sha of listPartialShas(db)) ...
 */
export function listPartialShas(db: AgentDb): string[] {
  return (db.prepare('SELECT sha256 FROM download_partials').all() as { sha256: string }[]).map(
    (r) => r.sha256,
  );
}
