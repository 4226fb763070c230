/**
 * The default {@link RolloutStore}: tables prefixed `rollout_` in a SQLite file, normally the
 * hub's own `hub.db` opened as a second connection (WAL, busy_timeout 5000, synchronous
 * NORMAL: a committed change survives SIGKILL of the hub).
 */
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { RolloutState } from '@edgefleet/protocol';
import { isSqliteIoError, sqliteCode } from '../storage/sqlite-errors.js';
import { RolloutError } from './rollout-errors.js';
import { migrateRolloutTables } from './rollout-migrations.js';
import {
  entryParams,
  gateParams,
  rolloutParams,
  toEntry,
  toEvent,
  toGate,
  toRollout,
  toWave,
  waveParams,
} from './rollout-rows.js';
import { ENTRY_COLUMNS, GATE_COLUMNS, ROLLOUT_COLUMNS, WAVE_COLUMNS } from './rollout-rows.js';
import type { EntryRow, EventRow, GateRow, RolloutRow, WaveRow } from './rollout-rows.js';
import type {
  DeviceEntryRecord,
  EntryFilter,
  GateEvaluationRecord,
  RolloutChanges,
  RolloutEventRecord,
  RolloutRecord,
  RolloutStore,
  WaveRecord,
} from './rollout-store.js';

/** Options of {@link SqliteRolloutStore.open}. */
export interface SqliteRolloutStoreOptions {
  /** How long to wait for a lock held by another connection, in ms (default 5000). */
  busyTimeoutMs?: number;
}

function ioError(err: unknown, path: string, doing: string): unknown {
  if (err instanceof RolloutError || !isSqliteIoError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RolloutError(
    'EF_HUB_ROLLOUT_STORE_IO',
    `${doing} rollout database ${path}: ${message}`,
    { path, sqliteCode: sqliteCode(err) },
    { cause: err },
  );
}

/**
 * `INSERT ... ON CONFLICT DO UPDATE`: never `INSERT OR REPLACE`, whose delete of the old row
 * would cascade to the rollout's waves, entries and events.
 */
function upsert(db: SqliteDatabase, table: string, columns: readonly string[], keys: number) {
  const updates = columns.slice(keys).map((c) => `${c} = excluded.${c}`);
  return db.prepare(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
     ON CONFLICT (${columns.slice(0, keys).join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
  );
}

function prepare(db: SqliteDatabase) {
  const ph = (n: number) => new Array<string>(n).fill('?').join(', ');
  return {
    putRollout: upsert(db, 'rollout_rollouts', ROLLOUT_COLUMNS, 1),
    putWave: upsert(db, 'rollout_waves', WAVE_COLUMNS, 2),
    putEntry: upsert(db, 'rollout_devices', ENTRY_COLUMNS, 2),
    putGate: upsert(db, 'rollout_gate_evals', GATE_COLUMNS, 3),
    addEvent: db.prepare(`INSERT INTO rollout_events (rollout_id, ts, type, wave, device_id,
      data_json) VALUES (${ph(6)}) RETURNING *`) as Statement<unknown[], EventRow>,
    getRollout: db.prepare('SELECT * FROM rollout_rollouts WHERE id = ?') as Statement<
      [string],
      RolloutRow
    >,
    rolloutsIn: db.prepare(`SELECT * FROM rollout_rollouts
      WHERE state IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid`) as Statement<
      [string],
      RolloutRow
    >,
    allRollouts: db.prepare(
      'SELECT * FROM rollout_rollouts ORDER BY created_at, rowid',
    ) as Statement<[], RolloutRow>,
    waves: db.prepare('SELECT * FROM rollout_waves WHERE rollout_id = ? ORDER BY idx') as Statement<
      [string],
      WaveRow
    >,
    entries: db.prepare(
      'SELECT * FROM rollout_devices WHERE rollout_id = ? ORDER BY rank',
    ) as Statement<[string], EntryRow>,
    entriesOfWave: db.prepare(
      'SELECT * FROM rollout_devices WHERE rollout_id = ? AND wave = ? ORDER BY rank',
    ) as Statement<[string, number], EntryRow>,
    entriesForDevice: db.prepare(`SELECT d.* FROM rollout_devices d
      JOIN rollout_rollouts r ON r.id = d.rollout_id
      WHERE d.device_id = ? AND r.release_name = ? ORDER BY r.created_at, r.rowid`) as Statement<
      [string, string],
      EntryRow
    >,
    countNotifiedSince: db.prepare(
      'SELECT COUNT(*) AS n FROM rollout_devices WHERE rollout_id = ? AND notified_at >= ?',
    ) as Statement<[string, number], { n: number }>,
    gates: db.prepare(
      'SELECT * FROM rollout_gate_evals WHERE rollout_id = ? ORDER BY wave, gate',
    ) as Statement<[string], GateRow>,
    events: db.prepare(
      'SELECT * FROM rollout_events WHERE rollout_id = ? AND id > ? ORDER BY id LIMIT ?',
    ) as Statement<[string, number, number], EventRow>,
  };
}

/**
 * A {@link RolloutStore} on a SQLite file path, `':memory:'` or an open better-sqlite3 handle
 * (not closed by {@link close}).
 *
 * @example
 * const store = SqliteRolloutStore.open(join(dataDir, 'hub.db'));
 */
export class SqliteRolloutStore implements RolloutStore {
  readonly path: string;
  readonly schemaVersion: number;
  #db: SqliteDatabase | undefined;
  readonly #owned: boolean;
  readonly #st: ReturnType<typeof prepare>;

  private constructor(path: string, db: SqliteDatabase, owned: boolean, version: number) {
    this.path = path;
    this.#db = db;
    this.#owned = owned;
    this.schemaVersion = version;
    this.#st = prepare(db);
  }

  /**
   * Opens (creating when missing) the rollout tables. Throws `EF_HUB_ROLLOUT_STORE_IO` when the
   * file cannot be opened and `EF_HUB_ROLLOUT_STORE_SCHEMA` for a newer schema.
   */
  static open(
    target: string | SqliteDatabase,
    options: SqliteRolloutStoreOptions = {},
  ): SqliteRolloutStore {
    const owned = typeof target === 'string';
    const path = owned ? target : target.name;
    let db: SqliteDatabase | undefined;
    try {
      db = owned ? new Database(target, { timeout: options.busyTimeoutMs ?? 5000 }) : target;
      if (owned) {
        if (target !== ':memory:') db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
      }
      const version = migrateRolloutTables(db);
      return new SqliteRolloutStore(path, db, owned, version);
    } catch (err) {
      if (owned) {
        try {
          db?.close();
        } catch {
          // The open failure is the one to report.
        }
      }
      if (err instanceof RolloutError) throw err;
      if (isSqliteIoError(err) || db === undefined) {
        throw new RolloutError(
          'EF_HUB_ROLLOUT_STORE_IO',
          `cannot open rollout database ${path}: ${err instanceof Error ? err.message : String(err)}`,
          { path, sqliteCode: sqliteCode(err) },
          { cause: err },
        );
      }
      throw err;
    }
  }

  #run<T>(fn: (db: SqliteDatabase, st: ReturnType<typeof prepare>) => T): Promise<T> {
    const db = this.#db;
    if (db === undefined) {
      return Promise.reject(
        new RolloutError('EF_HUB_ROLLOUT_STORE_CLOSED', `rollout database ${this.path} is closed`),
      );
    }
    try {
      return Promise.resolve(fn(db, this.#st));
    } catch (err) {
      return Promise.reject(ioError(err, this.path, 'using'));
    }
  }

  commit(changes: RolloutChanges): Promise<RolloutEventRecord[]> {
    return this.#run((db, st) =>
      db
        .transaction(() => {
          for (const r of changes.rollouts ?? []) st.putRollout.run(...rolloutParams(r));
          for (const w of changes.waves ?? []) st.putWave.run(...waveParams(w));
          for (const e of changes.entries ?? []) st.putEntry.run(...entryParams(e));
          for (const g of changes.gates ?? []) st.putGate.run(...gateParams(g));
          return (changes.events ?? []).map((e) => {
            const row = st.addEvent.get(
              e.rolloutId,
              e.ts,
              e.type,
              e.wave ?? null,
              e.deviceId ?? null,
              JSON.stringify(e.data ?? {}),
            ) as EventRow;
            return toEvent(row);
          });
        })
        .immediate(),
    );
  }

  getRollout(id: string): Promise<RolloutRecord | undefined> {
    return this.#run((_db, st) => {
      const row = st.getRollout.get(id);
      return row === undefined ? undefined : toRollout(row);
    });
  }

  listRollouts(states?: readonly RolloutState[]): Promise<RolloutRecord[]> {
    return this.#run((_db, st) =>
      (states === undefined ? st.allRollouts.all() : st.rolloutsIn.all(JSON.stringify(states))).map(
        toRollout,
      ),
    );
  }

  listWaves(rolloutId: string): Promise<WaveRecord[]> {
    return this.#run((_db, st) => st.waves.all(rolloutId).map(toWave));
  }

  listEntries(rolloutId: string, filter: EntryFilter = {}): Promise<DeviceEntryRecord[]> {
    return this.#run((_db, st) => {
      const rows =
        filter.wave === undefined
          ? st.entries.all(rolloutId)
          : st.entriesOfWave.all(rolloutId, filter.wave);
      const states = filter.states as readonly string[] | undefined;
      return rows
        .filter(
          (row) =>
            (states === undefined || states.includes(row.state)) &&
            (filter.notified === undefined || filter.notified === (row.notified_at !== null)),
        )
        .map(toEntry);
    });
  }

  entriesForDevice(deviceId: string, model: string): Promise<DeviceEntryRecord[]> {
    return this.#run((_db, st) => st.entriesForDevice.all(deviceId, model).map(toEntry));
  }

  countNotifiedSince(rolloutId: string, since: number): Promise<number> {
    return this.#run((_db, st) => st.countNotifiedSince.get(rolloutId, since)?.n ?? 0);
  }

  listGateEvaluations(rolloutId: string): Promise<GateEvaluationRecord[]> {
    return this.#run((_db, st) => st.gates.all(rolloutId).map(toGate));
  }

  listEvents(
    rolloutId: string,
    options: { afterId?: number; limit?: number } = {},
  ): Promise<RolloutEventRecord[]> {
    const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 1000)), 10_000);
    return this.#run((_db, st) =>
      st.events.all(rolloutId, Math.trunc(options.afterId ?? 0), limit).map(toEvent),
    );
  }

  close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db !== undefined && this.#owned) {
      try {
        db.close();
      } catch (err) {
        return Promise.reject(ioError(err, this.path, 'closing'));
      }
    }
    return Promise.resolve();
  }
}
