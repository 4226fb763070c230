/**
 * The default {@link HubStore}: one SQLite file through better-sqlite3, in WAL mode with
 * `synchronous=NORMAL` and foreign keys on. Every multi-row change runs in one transaction.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { compareSemver, mergeRanges } from '@edgefleet/protocol';
import type { SeqRange } from '@edgefleet/protocol';
import type {
  BirthRecord,
  DeathRecord,
  DeploymentStatusRecord,
  DriftSnapshot,
  HealthSnapshot,
  PresenceRecord,
  StatusSinceQuery,
  StoredTelemetry,
  TelemetryEffect,
  TelemetryQuery,
} from './device-state-records.js';
import {
  applyEffects,
  checkEffects,
  latestStatuses,
  queryTelemetry,
  releaseStatusesSince,
  writeBirth,
  writeDeath,
} from './device-state-sqlite.js';
import {
  prepareDeviceStateStatements,
  toDrift,
  toHealth,
  toPresence,
  toStatus,
} from './device-state-statements.js';
import type { DeviceStateStatements } from './device-state-statements.js';
import type {
  DesiredEnvelope,
  DesiredStateRecord,
  DeviceRecord,
  DeviceTags,
  HubStore,
  IngestResult,
  NewDevice,
  NewRelease,
  ReleaseRecord,
  TelemetryItem,
} from './hub-store.js';
import { prepareStatements } from './statements.js';
import type { DesiredRow, DeviceRow, ReleaseRow, Statements } from './statements.js';
import { wrapSqliteError } from './sqlite-errors.js';
import { openDatabase } from './sqlite-open.js';
import { StorageError } from './storage-errors.js';
import {
  argument,
  checkCount,
  checkDeviceId,
  checkRecord,
  checkRelease,
  checkTags,
  checkTelemetry,
  checkTime,
  unknownDevice,
} from './store-arguments.js';

/** Options of {@link SqliteHubStore.open}. */
export interface SqliteHubStoreOptions {
  /** How long to wait for a lock held by another connection, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Caps the database size in pages (SQLite `max_page_count`, 4 KiB pages by default) so the
   * hub cannot fill the disk; writes beyond it fail with `EF_HUB_STORE_IO` (SQLITE_FULL).
   */
  maxPageCount?: number;
}

function toRelease(row: ReleaseRow): ReleaseRecord {
  return {
    name: row.name,
    version: row.version,
    sha256: row.sha256,
    bytes: row.bytes,
    manifest: JSON.parse(row.manifest) as unknown,
    publishedAt: row.published_at,
  };
}

function toDesired(row: DesiredRow): DesiredStateRecord {
  const envelope: DesiredEnvelope | null =
    row.envelope_version === null ||
    row.envelope_json === null ||
    row.expires_at === null ||
    row.published_at === null
      ? null
      : {
          version: row.envelope_version,
          envelopeJson: row.envelope_json,
          expiresAt: row.expires_at,
          publishedAt: row.published_at,
        };
  return { deviceId: row.device_id, lastIssuedVersion: row.last_issued_version, envelope };
}

/**
 * A {@link HubStore} on one SQLite file (or `':memory:'`).
 *
 * @example
 * const store = SqliteHubStore.open('/var/lib/edgefleet/hub.db');
 * await store.enrollDevice({ id: 'press-07', tags: { site: 'a' }, secretHash, createdAt: Date.now() });
 * await store.close();
 */
export class SqliteHubStore implements HubStore {
  readonly path: string;
  /** The schema version of the open database. */
  readonly schemaVersion: number;
  #db: SqliteDatabase | undefined;
  readonly #st: Statements;
  readonly #ds: DeviceStateStatements;

  private constructor(path: string, db: SqliteDatabase, schemaVersion: number) {
    this.path = path;
    this.#db = db;
    this.schemaVersion = schemaVersion;
    // 16 MiB of page cache instead of SQLite's 2 MiB: the telemetry indexes outgrow 2 MiB
    // within minutes of a busy fleet, after which every insert re-reads index pages.
    db.pragma('cache_size = -16384');
    this.#st = prepareStatements(db);
    this.#ds = prepareDeviceStateStatements(db);
  }

  /**
   * Opens (creating when missing) and migrates the database at `path`. Throws
   * `EF_HUB_STORE_IO` when the file cannot be opened or is not a database, and
   * `EF_HUB_STORE_SCHEMA` when a newer hub wrote it.
   */
  static open(path: string, options: SqliteHubStoreOptions = {}): SqliteHubStore {
    const { db, version } = openDatabase(path, options);
    return new SqliteHubStore(path, db, version);
  }

  /** The connection's journal mode, synchronous level and foreign-key switch, as SQLite reports them. */
  settings(): Promise<{ journalMode: string; synchronous: number; foreignKeys: boolean }> {
    return this.#run((db) => ({
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      synchronous: Number(db.pragma('synchronous', { simple: true })),
      foreignKeys: Number(db.pragma('foreign_keys', { simple: true })) === 1,
    }));
  }

  /** Runs `fn` with the open database, mapping SQLite I/O failures to `EF_HUB_STORE_IO`. */
  #run<T>(fn: (db: SqliteDatabase, st: Statements) => T): Promise<T> {
    const db = this.#db;
    if (db === undefined) {
      return Promise.reject(
        new StorageError('EF_HUB_STORE_CLOSED', `hub database ${this.path} is closed`),
      );
    }
    try {
      return Promise.resolve(fn(db, this.#st));
    } catch (err) {
      return Promise.reject(wrapSqliteError(err, this.path));
    }
  }

  #device(st: Statements, id: string): DeviceRecord | undefined {
    const row = st.getDevice.get(id);
    if (row === undefined) return undefined;
    const tags: DeviceTags = {};
    for (const t of st.tagsOf.all(id)) tags[t.key] = t.value;
    return toDevice(row, tags);
  }

  #requireDevice(st: Statements, id: string): DeviceRecord {
    const device = this.#device(st, id);
    if (device === undefined) throw unknownDevice(id);
    return device;
  }

  enrollDevice(device: NewDevice): Promise<DeviceRecord> {
    return this.#run((db, st) => {
      checkRecord(device, 'the device');
      const id = checkDeviceId(device.id);
      const tags = checkTags(device.tags);
      if (typeof device.secretHash !== 'string' || device.secretHash.length === 0) {
        throw argument('secretHash must be a non-empty string');
      }
      const createdAt = checkTime(device.createdAt, 'createdAt');
      return db
        .transaction(() => {
          if (st.getDevice.get(id) !== undefined) {
            throw new StorageError(
              'EF_HUB_STORE_DUPLICATE_DEVICE',
              `device ${id} is already enrolled`,
              { deviceId: id },
            );
          }
          st.insertDevice.run(id, device.secretHash, createdAt);
          for (const [k, v] of Object.entries(tags)) st.insertTag.run(id, k, v);
          return this.#requireDevice(st, id);
        })
        .immediate();
    });
  }

  getDevice(id: string): Promise<DeviceRecord | undefined> {
    return this.#run((_db, st) => this.#device(st, checkDeviceId(id)));
  }

  listDevices(selector: DeviceTags = {}): Promise<DeviceRecord[]> {
    return this.#run((db, st) => {
      const wanted = Object.entries(checkTags(selector));
      return db.transaction(() => {
        const tagsById = new Map<string, DeviceTags>();
        for (const t of st.allTags.all()) {
          let tags = tagsById.get(t.device_id);
          if (tags === undefined) tagsById.set(t.device_id, (tags = {}));
          tags[t.key] = t.value;
        }
        const out: DeviceRecord[] = [];
        for (const row of st.listDevices.all()) {
          const tags = tagsById.get(row.id) ?? {};
          if (wanted.every(([k, v]) => tags[k] === v)) out.push(toDevice(row, tags));
        }
        return out;
      })();
    });
  }

  setTags(id: string, tags: DeviceTags): Promise<DeviceRecord> {
    return this.#run((db, st) => {
      const deviceId = checkDeviceId(id);
      const checked = checkTags(tags);
      return db
        .transaction(() => {
          this.#requireDevice(st, deviceId);
          st.deleteTags.run(deviceId);
          for (const [k, v] of Object.entries(checked)) st.insertTag.run(deviceId, k, v);
          return this.#requireDevice(st, deviceId);
        })
        .immediate();
    });
  }

  revokeDevice(id: string, revokedAt: number): Promise<DeviceRecord> {
    return this.#run((db, st) => {
      const deviceId = checkDeviceId(id);
      const at = checkTime(revokedAt, 'revokedAt');
      return db
        .transaction(() => {
          if (st.revokeDevice.run(at, deviceId).changes === 0) throw unknownDevice(deviceId);
          return this.#requireDevice(st, deviceId);
        })
        .immediate();
    });
  }

  touchLastSeen(id: string, at: number): Promise<void> {
    return this.#run((_db, st) => {
      const deviceId = checkDeviceId(id);
      if (st.touchLastSeen.run(checkTime(at, 'lastSeenAt'), deviceId).changes === 0) {
        throw unknownDevice(deviceId);
      }
    });
  }

  addRelease(release: NewRelease): Promise<ReleaseRecord> {
    return this.#run((db, st) => {
      const { name, version, sha256, bytes, json, publishedAt } = checkRelease(release);
      return db
        .transaction(() => {
          const same = st.releasesOf.all(name).find((r) => compareSemver(r.version, version) === 0);
          if (same !== undefined) {
            throw new StorageError(
              'EF_HUB_STORE_DUPLICATE_RELEASE',
              `release ${name}@${version} is already published (as ${name}@${same.version})`,
              { name, version, existing: same.version, existingSha256: same.sha256 },
            );
          }
          st.insertRelease.run(name, version, sha256, bytes, json, publishedAt);
          return toRelease({
            name,
            version,
            sha256,
            bytes,
            manifest: json,
            published_at: publishedAt,
          });
        })
        .immediate();
    });
  }

  getRelease(name: string, version: string): Promise<ReleaseRecord | undefined> {
    return this.#run((_db, st) => {
      const row = st.getRelease.get(name, version);
      return row === undefined ? undefined : toRelease(row);
    });
  }

  listReleases(name: string): Promise<ReleaseRecord[]> {
    return this.#run((_db, st) =>
      st.releasesOf
        .all(name)
        .sort((a, b) => compareSemver(a.version, b.version))
        .map(toRelease),
    );
  }

  listReleaseNames(): Promise<string[]> {
    return this.#run((_db, st) => st.releaseNames.all().map((r) => r.name));
  }

  nextDesiredVersion(deviceId: string): Promise<number> {
    return this.#run((db, st) => {
      const id = checkDeviceId(deviceId);
      return db
        .transaction(() => {
          if (st.getDevice.get(id) === undefined) throw unknownDevice(id);
          const row = st.nextDesiredVersion.get(id);
          if (row === undefined) throw new Error('desired_state upsert returned no row');
          return row.last_issued_version;
        })
        .immediate();
    });
  }

  setDesiredEnvelope(deviceId: string, envelope: DesiredEnvelope): Promise<void> {
    return this.#run((db, st) => {
      const id = checkDeviceId(deviceId);
      const version = checkCount(envelope.version, 'envelope version');
      if (typeof envelope.envelopeJson !== 'string') throw argument('envelope must be JSON text');
      const expiresAt = checkTime(envelope.expiresAt, 'expiresAt');
      const publishedAt = checkTime(envelope.publishedAt, 'publishedAt');
      db.transaction(() => {
        if (st.getDevice.get(id) === undefined) throw unknownDevice(id);
        const row = st.getDesired.get(id);
        const issued = row?.last_issued_version ?? 0;
        const stored = row?.envelope_version ?? 0;
        if (row === undefined || version < 1 || version > issued || version <= stored) {
          throw new StorageError(
            'EF_HUB_STORE_DESIRED_VERSION',
            `desired-state version ${version} for ${id} is not an issued version above the stored ${stored} (issued up to ${issued})`,
            { deviceId: id, version, issued, stored },
          );
        }
        st.setEnvelope.run(version, envelope.envelopeJson, expiresAt, publishedAt, id);
      }).immediate();
    });
  }

  getDesiredState(deviceId: string): Promise<DesiredStateRecord | undefined> {
    return this.#run((_db, st) => {
      const id = checkDeviceId(deviceId);
      const row = st.getDesired.get(id);
      if (row !== undefined) return toDesired(row);
      if (st.getDevice.get(id) === undefined) return undefined;
      return { deviceId: id, lastIssuedVersion: 0, envelope: null };
    });
  }

  listDesiredExpiringBefore(before: number): Promise<DesiredStateRecord[]> {
    return this.#run((_db, st) =>
      st.expiringBefore.all(checkTime(before, 'before')).map(toDesired),
    );
  }

  ingestTelemetry(
    deviceId: string,
    bootId: string,
    seq: number,
    stream: string,
    payloadJson: string,
    receivedAt: number,
  ): Promise<IngestResult> {
    return this.ingestTelemetryBatch([
      { deviceId, bootId, seq, stream, payloadJson, receivedAt },
    ]).then((r) => r[0] ?? 'duplicate');
  }

  ingestTelemetryBatch(items: readonly TelemetryItem[]): Promise<IngestResult[]> {
    return this.#run((db, st) => {
      if (!Array.isArray(items)) throw argument('telemetry items must be an array');
      for (const item of items) {
        checkTelemetry(item);
        checkEffects(item.effects);
      }
      return db
        .transaction(() => {
          const known = new Set<string>();
          const latest = new LatestEffects();
          const results = items.map((item): IngestResult => {
            if (!known.has(item.deviceId)) {
              if (st.getDevice.get(item.deviceId) === undefined) {
                throw unknownDevice(item.deviceId);
              }
              known.add(item.deviceId);
            }
            const { changes } = st.insertTelemetry.run(
              item.deviceId,
              item.bootId,
              item.seq,
              item.stream,
              item.payloadJson,
              item.receivedAt,
            );
            if (changes !== 1) return 'duplicate';
            latest.add(item, (history) => applyEffects(this.#ds, history));
            return 'stored';
          });
          latest.apply((one) => applyEffects(this.#ds, one));
          return results;
        })
        .immediate();
    });
  }

  ackRanges(deviceId: string, bootId: string): Promise<SeqRange[]> {
    return this.#run((_db, st) => {
      const id = checkDeviceId(deviceId);
      return mergeRanges(st.ackRanges.all(id, bootId).map((r): SeqRange => [r.lo, r.hi]));
    });
  }

  telemetryCount(deviceId?: string): Promise<number> {
    return this.#run((_db, st) => {
      const row =
        deviceId === undefined ? st.countAll.get() : st.countOf.get(checkDeviceId(deviceId));
      return row?.n ?? 0;
    });
  }

  listTelemetry(query: TelemetryQuery): Promise<StoredTelemetry[]> {
    return this.#run(() => queryTelemetry(this.#ds, query));
  }

  latestDeployments(
    deviceIds: readonly string[],
    model?: string,
  ): Promise<DeploymentStatusRecord[]> {
    return this.#run((db) => db.transaction(() => latestStatuses(this.#ds, deviceIds, model))());
  }

  latestStatusesSince(
    model: string,
    version: string,
    queries: readonly StatusSinceQuery[],
  ): Promise<DeploymentStatusRecord[]> {
    return this.#run(() => releaseStatusesSince(this.#ds, model, version, queries));
  }

  deploymentHistory(deviceId: string, executionId?: string): Promise<DeploymentStatusRecord[]> {
    return this.#run(() => {
      const id = checkDeviceId(deviceId);
      const rows =
        executionId === undefined
          ? this.#ds.historyOf.all(id)
          : this.#ds.historyOfExecution.all(id, executionId);
      return rows.map(toStatus);
    });
  }

  latestHealth(deviceId: string): Promise<HealthSnapshot | undefined> {
    return this.#run(() => {
      const row = this.#ds.healthOf.get(checkDeviceId(deviceId));
      return row === undefined ? undefined : toHealth(row);
    });
  }

  latestDrift(deviceId: string): Promise<DriftSnapshot[]> {
    return this.#run(() => this.#ds.driftOf.all(checkDeviceId(deviceId)).map(toDrift));
  }

  recordBirth(deviceId: string, birth: BirthRecord): Promise<boolean> {
    return this.#run((db, st) =>
      db
        .transaction(() =>
          writeBirth(this.#ds, (id) => this.#requireDevice(st, id), deviceId, birth),
        )
        .immediate(),
    );
  }

  recordDeath(deviceId: string, death: DeathRecord): Promise<boolean> {
    return this.#run((db, st) =>
      db
        .transaction(() =>
          writeDeath(this.#ds, (id) => this.#requireDevice(st, id), deviceId, death),
        )
        .immediate(),
    );
  }

  markOffline(deviceId: string, at: number, reason: string): Promise<void> {
    return this.#run(() => {
      this.#ds.offline.run(checkTime(at, 'at'), String(reason), checkDeviceId(deviceId));
    });
  }

  markAllOffline(at: number, reason: string): Promise<number> {
    return this.#run(() => this.#ds.allOffline.run(checkTime(at, 'at'), String(reason)).changes);
  }

  getPresence(deviceId: string): Promise<PresenceRecord | undefined> {
    return this.#run(() => {
      const row = this.#ds.presenceOf.get(checkDeviceId(deviceId));
      return row === undefined ? undefined : toPresence(row);
    });
  }

  countOnline(): Promise<number> {
    return this.#run(() => this.#ds.countOnline.get()?.n ?? 0);
  }

  close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db === undefined) return Promise.resolve();
    try {
      db.close();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(wrapSqliteError(err, this.path));
    }
  }
}

/**
 * The "latest" effects (health per device, drift per device and model) of one batch: each
 * upsert keeps the row with the newest time (later wins ties), so applying only the newest of a
 * batch leaves the same rows as applying every one in order, with one write per device instead
 * of one per message. Deployment statuses are history and are applied at once, in order.
 */
class LatestEffects {
  readonly #newest = new Map<
    string,
    { item: TelemetryItem; effect: TelemetryEffect; at: number }
  >();

  /** Notes the effects of a stored item; `applyNow` gets the item with its status effects. */
  add(item: TelemetryItem, applyNow: (item: TelemetryItem) => void): void {
    const effects = item.effects;
    if (effects === undefined || effects.length === 0) return;
    const history = effects.filter((e) => e.kind === 'deployment-status');
    if (history.length > 0)
      applyNow(history.length === effects.length ? item : { ...item, effects: history });
    for (const effect of effects) {
      if (effect.kind === 'deployment-status') continue;
      const key =
        effect.kind === 'health'
          ? `h\u0000${item.deviceId}`
          : `d\u0000${item.deviceId}\u0000${effect.model}`;
      const at = effect.kind === 'health' ? effect.ts : effect.windowEnd;
      const seen = this.#newest.get(key);
      if (seen === undefined || at >= seen.at) this.#newest.set(key, { item, effect, at });
    }
  }

  /** Applies the newest effect per key. */
  apply(applyOne: (item: TelemetryItem) => void): void {
    for (const { item, effect } of this.#newest.values()) applyOne({ ...item, effects: [effect] });
  }
}

function toDevice(row: DeviceRow, tags: DeviceTags): DeviceRecord {
  return {
    id: row.id,
    tags,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastSeenAt: row.last_seen_at,
  };
}
