/** Schema migrations of the SQLite hub store, applied in order and recorded in `schema_version`. */
import type { Database } from 'better-sqlite3';
import { StorageError } from './storage-errors.js';

/** One schema step: `version` is the schema version after `sql` ran. */
export interface Migration {
  version: number;
  sql: string;
}

/** Every migration, in ascending version order. Append only; never edit a shipped step. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        last_seen_at INTEGER
      ) STRICT;
      CREATE TABLE device_tags (
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (device_id, key)
      ) STRICT;
      CREATE INDEX device_tags_by_pair ON device_tags(key, value);
      CREATE TABLE releases (
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        manifest TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        PRIMARY KEY (name, version)
      ) STRICT;
      CREATE TABLE desired_state (
        device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        last_issued_version INTEGER NOT NULL DEFAULT 0,
        envelope_version INTEGER,
        envelope_json TEXT,
        expires_at INTEGER,
        published_at INTEGER
      ) STRICT;
      CREATE INDEX desired_state_by_expiry ON desired_state(expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE telemetry (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        boot_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        stream TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        UNIQUE (device_id, boot_id, seq)
      ) STRICT;
    `,
  },
];

/** The schema version this code writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Brings the database to {@link LATEST_SCHEMA_VERSION}; each step runs in its own transaction
 * together with its `schema_version` update. Throws `EF_HUB_STORE_SCHEMA` for a newer database.
 */
export function migrate(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
  const readVersion = (): number => {
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as
      { version: number | null } | undefined;
    return row?.version ?? 0;
  };
  const current = readVersion();
  if (current > LATEST_SCHEMA_VERSION) {
    throw new StorageError(
      'EF_HUB_STORE_SCHEMA',
      `database schema version ${current} is newer than ${LATEST_SCHEMA_VERSION}, the latest this hub knows`,
      { version: current, latest: LATEST_SCHEMA_VERSION },
    );
  }
  for (const step of MIGRATIONS) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.exec(step.sql);
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(step.version);
    }).immediate();
  }
  return readVersion();
}
