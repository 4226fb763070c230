/** Opening the hub's SQLite file: pragmas, migrations, and coded errors for a bad file. */
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { migrate } from './migrations.js';
import { isSqliteIoError, sqliteCode } from './sqlite-errors.js';
import { StorageError } from './storage-errors.js';
import { checkCount } from './store-arguments.js';

/** Options of opening the database (see `SqliteHubStoreOptions`). */
export interface OpenDatabaseOptions {
  busyTimeoutMs?: number;
  maxPageCount?: number;
}

/**
 * Opens (creating when missing) and migrates the database at `path`: WAL (except in memory),
 * `synchronous=NORMAL`, foreign keys on. Throws `EF_HUB_STORE_IO` when the file cannot be
 * opened or is not a database, and `EF_HUB_STORE_SCHEMA` when a newer hub wrote it.
 *
 * @example
 * const { db, version } = openDatabase('/var/lib/edgefleet/hub.db', {});
 */
export function openDatabase(
  path: string,
  options: OpenDatabaseOptions,
): { db: SqliteDatabase; version: number } {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (options.maxPageCount !== undefined) {
      db.pragma(`max_page_count = ${checkCount(options.maxPageCount, 'maxPageCount')}`);
    }
    return { db, version: migrate(db) };
  } catch (err) {
    try {
      db?.close();
    } catch {
      // The open failure is the one to report.
    }
    if (err instanceof StorageError) throw err;
    if (isSqliteIoError(err) || db === undefined) {
      const message = err instanceof Error ? err.message : String(err);
      throw new StorageError(
        'EF_HUB_STORE_IO',
        `cannot open hub database ${path}: ${message}`,
        { path, sqliteCode: sqliteCode(err) },
        { cause: err },
      );
    }
    throw err;
  }
}
