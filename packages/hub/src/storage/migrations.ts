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
  {
    // Deployment status, presence, latest health/drift, and telemetry by stream and time.
    version: 2,
    sql: `
      CREATE INDEX telemetry_by_stream ON telemetry(device_id, stream, received_at);
      CREATE TABLE deployment_status (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        execution_id TEXT NOT NULL,
        model TEXT NOT NULL,
        version TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        state TEXT NOT NULL,
        desired_version INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT,
        progress_bytes INTEGER,
        progress_total INTEGER
      ) STRICT;
      CREATE INDEX deployment_status_by_execution ON deployment_status(device_id, execution_id, ts);
      CREATE INDEX deployment_status_by_model ON deployment_status(device_id, model, received_at);
      CREATE TABLE deployment_latest (
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        status_id INTEGER NOT NULL REFERENCES deployment_status(id),
        desired_version INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (device_id, model)
      ) STRICT;
      CREATE TABLE device_presence (
        device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        online INTEGER NOT NULL,
        boot_id TEXT,
        agent_version TEXT,
        arch TEXT,
        platform TEXT,
        models_json TEXT NOT NULL DEFAULT '[]',
        birth_ts INTEGER,
        connected_at INTEGER,
        disconnected_at INTEGER,
        disconnect_reason TEXT
      ) STRICT;
      CREATE INDEX device_presence_online ON device_presence(online) WHERE online = 1;
      CREATE TABLE health_latest (
        device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        record_json TEXT NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE drift_latest (
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        version TEXT NOT NULL,
        record_json TEXT NOT NULL,
        window_end INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (device_id, model)
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
