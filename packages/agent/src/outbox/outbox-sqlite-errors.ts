/** Mapping of better-sqlite3 failures to the outbox's coded errors. */
import Database from 'better-sqlite3';
import type { AgentDb } from '../state/agent-db.js';
import { OutboxError } from './outbox-errors.js';
import type { OutboxErrorCode } from './outbox-errors.js';

const SQLITE_FULL_CODES = ['SQLITE_FULL'];
const SQLITE_IO_CODES = [
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_PERM',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_PROTOCOL',
];

function matches(code: string, list: readonly string[]): boolean {
  return list.some((c) => code === c || code.startsWith(`${c}_`));
}

/**
 * A coded error for a failed database operation: `EF_AGENT_OUTBOX_FULL` for a full disk or
 * database, `EF_AGENT_OUTBOX_IO` for other SQLite failures, `EF_AGENT_OUTBOX_CLOSED` for a
 * closed database; coded errors and programming errors pass through.
 *
 * @example
 * throw outboxStorageError(err, db, 'append');
 */
export function outboxStorageError(err: unknown, db: AgentDb, what: string): unknown {
  if (err instanceof OutboxError) return err;
  let code: OutboxErrorCode | undefined;
  if (err instanceof Database.SqliteError) {
    if (matches(err.code, SQLITE_FULL_CODES)) code = 'EF_AGENT_OUTBOX_FULL';
    else if (matches(err.code, SQLITE_IO_CODES)) code = 'EF_AGENT_OUTBOX_IO';
  } else if (!db.open) {
    code = 'EF_AGENT_OUTBOX_CLOSED';
  }
  if (!code) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new OutboxError(
    code,
    `outbox ${what}: ${message}`,
    { sqliteCode: err instanceof Database.SqliteError ? err.code : undefined },
    { cause: err },
  );
}
