/**
 * Schema of the rollout tables. They live in the hub's database file (`hub.db`) beside the hub
 * store's tables, so every name starts with `rollout_` and the version is kept in
 * `rollout_schema_version`, apart from the hub store's own `schema_version`.
 */
import type { Database } from 'better-sqlite3';
import { RolloutError } from './rollout-errors.js';

/** One schema step: `version` is the rollout schema version after `sql` ran. */
export interface RolloutMigration {
  version: number;
  sql: string;
}

/** Every step, ascending. Append only; never edit a shipped step. */
export const ROLLOUT_MIGRATIONS: readonly RolloutMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE rollout_rollouts (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        release_name TEXT NOT NULL,
        release_version TEXT NOT NULL,
        options_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        current_wave INTEGER NOT NULL,
        reason_code TEXT,
        reason_message TEXT
      ) STRICT;
      CREATE INDEX rollout_rollouts_by_state ON rollout_rollouts(state, created_at);
      CREATE INDEX rollout_rollouts_by_release ON rollout_rollouts(release_name);
      CREATE TABLE rollout_waves (
        rollout_id TEXT NOT NULL REFERENCES rollout_rollouts(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        state TEXT NOT NULL,
        size INTEGER NOT NULL,
        percent REAL,
        started_at INTEGER,
        soak_started_at INTEGER,
        finished_at INTEGER,
        reason_code TEXT,
        reason_message TEXT,
        PRIMARY KEY (rollout_id, idx)
      ) STRICT;
      CREATE TABLE rollout_devices (
        rollout_id TEXT NOT NULL REFERENCES rollout_rollouts(id) ON DELETE CASCADE,
        device_id TEXT NOT NULL,
        wave INTEGER NOT NULL,
        rank INTEGER NOT NULL,
        state TEXT NOT NULL,
        notified_at INTEGER,
        assigned_at INTEGER,
        desired_version INTEGER,
        last_status_at INTEGER,
        error_code TEXT,
        previous_name TEXT,
        previous_version TEXT,
        rollback_requested_at INTEGER,
        rollback_target_name TEXT,
        rollback_target_version TEXT,
        rollback_assigned_at INTEGER,
        rollback_desired_version INTEGER,
        rollback_state TEXT,
        rollback_last_status_at INTEGER,
        rollback_error_code TEXT,
        PRIMARY KEY (rollout_id, device_id)
      ) STRICT;
      CREATE INDEX rollout_devices_by_rank ON rollout_devices(rollout_id, rank);
      CREATE INDEX rollout_devices_by_device ON rollout_devices(device_id);
      CREATE INDEX rollout_devices_by_notified ON rollout_devices(rollout_id, notified_at)
        WHERE notified_at IS NOT NULL;
      CREATE TABLE rollout_gate_evals (
        rollout_id TEXT NOT NULL REFERENCES rollout_rollouts(id) ON DELETE CASCADE,
        wave INTEGER NOT NULL,
        gate TEXT NOT NULL,
        value REAL,
        limit_value REAL NOT NULL,
        status TEXT NOT NULL,
        devices INTEGER NOT NULL,
        evaluated_at INTEGER NOT NULL,
        PRIMARY KEY (rollout_id, wave, gate)
      ) STRICT;
      CREATE TABLE rollout_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rollout_id TEXT NOT NULL REFERENCES rollout_rollouts(id) ON DELETE CASCADE,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        wave INTEGER,
        device_id TEXT,
        data_json TEXT NOT NULL
      ) STRICT;
      CREATE INDEX rollout_events_by_rollout ON rollout_events(rollout_id, id);
    `,
  },
];

/** The rollout schema version this code writes. */
export const LATEST_ROLLOUT_SCHEMA_VERSION = ROLLOUT_MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Brings the rollout tables to {@link LATEST_ROLLOUT_SCHEMA_VERSION}, each step in its own
 * IMMEDIATE transaction (two hub connections may open the file at once). Throws
 * `EF_HUB_ROLLOUT_STORE_SCHEMA` for tables written by a newer hub.
 *
 * @example
 * migrateRolloutTables(db); // 1
 */
export function migrateRolloutTables(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS rollout_schema_version (version INTEGER NOT NULL) STRICT');
  const readVersion = (): number => {
    const row = db.prepare('SELECT MAX(version) AS version FROM rollout_schema_version').get() as
      { version: number | null } | undefined;
    return row?.version ?? 0;
  };
  const current = readVersion();
  if (current > LATEST_ROLLOUT_SCHEMA_VERSION) {
    throw new RolloutError(
      'EF_HUB_ROLLOUT_STORE_SCHEMA',
      `rollout schema version ${current} is newer than ${LATEST_ROLLOUT_SCHEMA_VERSION}, the latest this hub knows`,
      { version: current, latest: LATEST_ROLLOUT_SCHEMA_VERSION },
    );
  }
  for (const step of ROLLOUT_MIGRATIONS) {
    if (step.version <= current) continue;
    db.transaction(() => {
      // Re-read inside the lock: another connection may have applied the step meanwhile.
      if (readVersion() >= step.version) return;
      db.exec(step.sql);
      db.prepare('DELETE FROM rollout_schema_version').run();
      db.prepare('INSERT INTO rollout_schema_version (version) VALUES (?)').run(step.version);
    }).immediate();
  }
  return readVersion();
}
