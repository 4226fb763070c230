/** Prepared statements and row shapes of the SQLite hub store. */
import type { Database, Statement } from 'better-sqlite3';

/** A row of `devices`. */
export interface DeviceRow {
  id: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_seen_at: number | null;
}

/** A row of `device_tags`. */
export interface TagRow {
  device_id: string;
  key: string;
  value: string;
}

/** A row of `releases`. */
export interface ReleaseRow {
  name: string;
  version: string;
  sha256: string;
  bytes: number;
  manifest: string;
  published_at: number;
}

/** A row of `desired_state`. */
export interface DesiredRow {
  device_id: string;
  last_issued_version: number;
  envelope_version: number | null;
  envelope_json: string | null;
  expires_at: number | null;
  published_at: number | null;
}

/** The prepared statements of one database connection. */
export interface Statements {
  insertDevice: Statement<[string, string, number]>;
  getDevice: Statement<[string], DeviceRow>;
  listDevices: Statement<[], DeviceRow>;
  insertTag: Statement<[string, string, string]>;
  deleteTags: Statement<[string]>;
  tagsOf: Statement<[string], TagRow>;
  allTags: Statement<[], TagRow>;
  revokeDevice: Statement<[number, string]>;
  touchLastSeen: Statement<[number, string]>;
  insertRelease: Statement<[string, string, string, number, string, number]>;
  getRelease: Statement<[string, string], ReleaseRow>;
  releasesOf: Statement<[string], ReleaseRow>;
  releaseNames: Statement<[], { name: string }>;
  nextDesiredVersion: Statement<[string], { last_issued_version: number }>;
  getDesired: Statement<[string], DesiredRow>;
  setEnvelope: Statement<[number, string, number, number, string]>;
  expiringBefore: Statement<[number], DesiredRow>;
  insertTelemetry: Statement<[string, string, number, string, string, number]>;
  ackRanges: Statement<[string, string], { lo: number; hi: number }>;
  countAll: Statement<[], { n: number }>;
  countOf: Statement<[string], { n: number }>;
}

/** Prepares every fixed statement once. */
export function prepareStatements(db: Database): Statements {
  return {
    insertDevice: db.prepare<[string, string, number]>(
      'INSERT INTO devices (id, secret_hash, created_at) VALUES (?, ?, ?)',
    ),
    getDevice: db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE id = ?'),
    listDevices: db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY id'),
    insertTag: db.prepare<[string, string, string]>(
      'INSERT INTO device_tags (device_id, key, value) VALUES (?, ?, ?)',
    ),
    deleteTags: db.prepare<[string]>('DELETE FROM device_tags WHERE device_id = ?'),
    tagsOf: db.prepare<[string], TagRow>(
      'SELECT * FROM device_tags WHERE device_id = ? ORDER BY key',
    ),
    allTags: db.prepare<[], TagRow>('SELECT * FROM device_tags ORDER BY device_id, key'),
    revokeDevice: db.prepare<[number, string]>(
      'UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?',
    ),
    touchLastSeen: db.prepare<[number, string]>(
      'UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?) WHERE id = ?',
    ),
    insertRelease: db.prepare<[string, string, string, number, string, number]>(
      'INSERT INTO releases (name, version, sha256, bytes, manifest, published_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getRelease: db.prepare<[string, string], ReleaseRow>(
      'SELECT * FROM releases WHERE name = ? AND version = ?',
    ),
    releasesOf: db.prepare<[string], ReleaseRow>('SELECT * FROM releases WHERE name = ?'),
    releaseNames: db.prepare<[], { name: string }>(
      'SELECT DISTINCT name FROM releases ORDER BY name',
    ),
    nextDesiredVersion: db.prepare<[string], { last_issued_version: number }>(
      `INSERT INTO desired_state (device_id, last_issued_version) VALUES (?, 1)
       ON CONFLICT (device_id) DO UPDATE SET last_issued_version = last_issued_version + 1
       RETURNING last_issued_version`,
    ),
    getDesired: db.prepare<[string], DesiredRow>('SELECT * FROM desired_state WHERE device_id = ?'),
    setEnvelope: db.prepare<[number, string, number, number, string]>(
      `UPDATE desired_state SET envelope_version = ?, envelope_json = ?, expires_at = ?,
       published_at = ? WHERE device_id = ?`,
    ),
    expiringBefore: db.prepare<[number], DesiredRow>(
      `SELECT * FROM desired_state WHERE expires_at IS NOT NULL AND expires_at < ?
       ORDER BY expires_at, device_id`,
    ),
    insertTelemetry: db.prepare<[string, string, number, string, string, number]>(
      `INSERT OR IGNORE INTO telemetry (device_id, boot_id, seq, stream, payload_json, received_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    ackRanges: db.prepare<[string, string], { lo: number; hi: number }>(
      `SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM (
         SELECT seq, seq - ROW_NUMBER() OVER (ORDER BY seq) AS grp
         FROM telemetry WHERE device_id = ? AND boot_id = ?
       ) GROUP BY grp ORDER BY lo`,
    ),
    countAll: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM telemetry'),
    countOf: db.prepare<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM telemetry WHERE device_id = ?',
    ),
  };
}
