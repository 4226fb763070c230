/** Mapping of better-sqlite3 failures to coded storage errors. */
import Database from 'better-sqlite3';
import { StorageError } from './storage-errors.js';

/** SQLite primary result codes that mean the file, the disk or a lock is at fault. */
const IO_CODES = [
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_PERM',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_PROTOCOL',
];

/** The SQLite result code of a better-sqlite3 error (e.g. `SQLITE_IOERR_WRITE`), if any. */
export function sqliteCode(err: unknown): string | undefined {
  return err instanceof Database.SqliteError ? err.code : undefined;
}

/** True for SQLite errors caused by the file or disk (full, read-only, corrupt, locked). */
export function isSqliteIoError(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && IO_CODES.some((c) => code === c || code.startsWith(`${c}_`));
}

/**
 * Turns a SQLite I/O failure into `EF_HUB_STORE_IO` with the original as `cause`; returns
 * every other error unchanged (coded errors and programming errors alike).
 *
 * @example
 * throw wrapSqliteError(err, '/var/lib/edgefleet/hub.db');
 */
export function wrapSqliteError(err: unknown, path: string): unknown {
  if (err instanceof StorageError || !isSqliteIoError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(
    'EF_HUB_STORE_IO',
    `hub database ${path}: ${message}`,
    { path, sqliteCode: sqliteCode(err) },
    { cause: err },
  );
}
