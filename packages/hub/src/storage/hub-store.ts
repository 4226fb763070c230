/**
 * The hub's storage interface. The hub talks to its state only through {@link HubStore}, so the
 * default SQLite store (`SqliteHubStore`) can later be swapped for PostgreSQL (scale-out
 * mode, DESIGN section 6). Every method is asynchronous for that reason. Timestamps are
 * milliseconds since the Unix epoch. Every failure is a `StorageError` with a code.
 */
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

export type * from './device-state-records.js';

/** A device's tags, e.g. `{ site: 'plant-a', hw: 'rpi5' }`. */
export type DeviceTags = Record<string, string>;

/** What {@link HubStore.enrollDevice} stores. */
export interface NewDevice {
  /** The device id (`^[a-z0-9][a-z0-9._-]{0,63}$`), also its MQTT username. */
  id: string;
  /** Tags used by rollout selectors. */
  tags: DeviceTags;
  /** The hash of the device's MQTT secret; hashing is the caller's job. */
  secretHash: string;
  /** Enrolment time (ms since epoch). */
  createdAt: number;
}

/** A stored device. */
export interface DeviceRecord extends NewDevice {
  /** When the device was revoked, or `null`. */
  revokedAt: number | null;
  /** When the hub last heard from the device, or `null`. */
  lastSeenAt: number | null;
}

/** What {@link HubStore.addRelease} stores: one published bundle. */
export interface NewRelease {
  /** Model name. */
  name: string;
  /** SemVer 2.0.0 version. */
  version: string;
  /** sha256 of the bundle archive, 64 lowercase hex digits. */
  sha256: string;
  /** Size of the bundle archive in bytes. */
  bytes: number;
  /** The bundle manifest (any JSON value). */
  manifest: unknown;
  /** Publication time (ms since epoch). */
  publishedAt: number;
}

/** A stored release. */
export type ReleaseRecord = NewRelease;

/** The last published desired-state envelope of a device. */
export interface DesiredEnvelope {
  /** The desired-state version it carries (issued by {@link HubStore.nextDesiredVersion}). */
  version: number;
  /** The signed envelope, as published (JSON text). */
  envelopeJson: string;
  /** When the envelope expires (ms since epoch). */
  expiresAt: number;
  /** When it was stored (ms since epoch). */
  publishedAt: number;
}

/** A device's desired-state bookkeeping. */
export interface DesiredStateRecord {
  deviceId: string;
  /** The highest version issued so far (0 when none). */
  lastIssuedVersion: number;
  /** The last stored envelope, or `null` when none was stored yet. */
  envelope: DesiredEnvelope | null;
}

/** One telemetry message for {@link HubStore.ingestTelemetryBatch}. */
export interface TelemetryItem {
  deviceId: string;
  bootId: string;
  seq: number;
  stream: string;
  payloadJson: string;
  receivedAt: number;
  /** Derived state to update when this item is stored (not when it is a duplicate). */
  effects?: readonly TelemetryEffect[];
}

/** The outcome of storing one telemetry message. */
export type IngestResult = 'stored' | 'duplicate';

/** The hub's persistent state: devices, releases, desired state and telemetry. */
export interface HubStore {
  /**
   * Enrolls a device. Throws `EF_HUB_STORE_DUPLICATE_DEVICE` when the id is taken and
   * `EF_HUB_STORE_ARGUMENT` for an invalid id or tag.
   */
  enrollDevice(device: NewDevice): Promise<DeviceRecord>;

  /** Returns the device, or `undefined` when it is not enrolled. */
  getDevice(id: string): Promise<DeviceRecord | undefined>;

  /**
   * Lists devices ordered by id; with a selector, only devices whose tags contain every
   * `key: value` pair of it (`{}` matches all).
   */
  listDevices(selector?: DeviceTags): Promise<DeviceRecord[]>;

  /** Replaces a device's tags. Throws `EF_HUB_STORE_UNKNOWN_DEVICE`. */
  setTags(id: string, tags: DeviceTags): Promise<DeviceRecord>;

  /**
   * Marks a device revoked at `revokedAt`; revoking twice keeps the first time. Throws
   * `EF_HUB_STORE_UNKNOWN_DEVICE`.
   */
  revokeDevice(id: string, revokedAt: number): Promise<DeviceRecord>;

  /**
   * Records that the device was heard from at `at`; the value only moves forward. Throws
   * `EF_HUB_STORE_UNKNOWN_DEVICE`.
   */
  touchLastSeen(id: string, at: number): Promise<void>;

  /**
   * Stores a release. Throws `EF_HUB_STORE_DUPLICATE_RELEASE` when a release of that name
   * with an equal SemVer version exists (the first one is kept).
   */
  addRelease(release: NewRelease): Promise<ReleaseRecord>;

  /** Returns `name@version`, or `undefined`. */
  getRelease(name: string, version: string): Promise<ReleaseRecord | undefined>;

  /** Lists the releases of `name` in ascending SemVer order (empty when none). */
  listReleases(name: string): Promise<ReleaseRecord[]>;

  /** Lists the distinct release names, sorted. */
  listReleaseNames(): Promise<string[]>;

  /**
   * Issues the device's next desired-state version: strictly above every version issued
   * before, never reused, durable across restarts. Throws `EF_HUB_STORE_UNKNOWN_DEVICE`.
   */
  nextDesiredVersion(deviceId: string): Promise<number>;

  /**
   * Stores the last published envelope of a device. `version` must have been issued by
   * {@link nextDesiredVersion} and be above the stored envelope's, else
   * `EF_HUB_STORE_DESIRED_VERSION`.
   */
  setDesiredEnvelope(deviceId: string, envelope: DesiredEnvelope): Promise<void>;

  /** Returns the device's desired-state record, or `undefined` for an unknown device. */
  getDesiredState(deviceId: string): Promise<DesiredStateRecord | undefined>;

  /** Lists stored envelopes that expire before `before`, soonest first (for republishing). */
  listDesiredExpiringBefore(before: number): Promise<DesiredStateRecord[]>;

  /**
   * Stores one telemetry message, deduplicated by `(deviceId, bootId, seq)`: returns
   * `'duplicate'` and keeps the first copy when it was stored before. Throws
   * `EF_HUB_STORE_UNKNOWN_DEVICE`.
   */
  ingestTelemetry(
    deviceId: string,
    bootId: string,
    seq: number,
    stream: string,
    payloadJson: string,
    receivedAt: number,
  ): Promise<IngestResult>;

  /**
   * Stores many telemetry messages in one transaction; results are in input order. When one
   * item is invalid or its device unknown, nothing of the batch is stored.
   */
  ingestTelemetryBatch(items: readonly TelemetryItem[]): Promise<IngestResult[]>;

  /** The stored seq numbers of one boot of a device, as merged inclusive ranges. */
  ackRanges(deviceId: string, bootId: string): Promise<SeqRange[]>;

  /** Number of stored telemetry messages, of one device or of all. */
  telemetryCount(deviceId?: string): Promise<number>;

  /**
   * Lists stored telemetry of one device and stream received in `[since, until)`, oldest
   * first (an index on device, stream and receive time serves it).
   */
  listTelemetry(query: TelemetryQuery): Promise<StoredTelemetry[]>;

  /**
   * The latest deployment status per `(device, model)` of the given devices (all models, or
   * only `model`), ordered by device then model. "Latest" is the highest desired version,
   * then the newest report time. Unknown ids are skipped.
   */
  latestDeployments(
    deviceIds: readonly string[],
    model?: string,
  ): Promise<DeploymentStatusRecord[]>;

  /**
   * For each query, the newest status report of `model@version` from that device received at
   * or after `since` (highest desired version, then newest device time); devices without one
   * are left out. What a rollout engine polls to catch up on statuses.
   */
  latestStatusesSince(
    model: string,
    version: string,
    queries: readonly StatusSinceQuery[],
  ): Promise<DeploymentStatusRecord[]>;

  /** Every stored status report of a device (of one execution when given), oldest first. */
  deploymentHistory(deviceId: string, executionId?: string): Promise<DeploymentStatusRecord[]>;

  /** The device's newest health record, or `undefined`. */
  latestHealth(deviceId: string): Promise<HealthSnapshot | undefined>;

  /** The device's newest drift window per model, ordered by model. */
  latestDrift(deviceId: string): Promise<DriftSnapshot[]>;

  /**
   * Records a birth: the device is online with this boot, agent and models. A birth older (by
   * device time) than the stored one is ignored and `false` returned. Throws
   * `EF_HUB_STORE_UNKNOWN_DEVICE`.
   */
  recordBirth(deviceId: string, birth: BirthRecord): Promise<boolean>;

  /**
   * Records a death: the device is offline. Ignored (returns `false`) when older than the
   * current birth, e.g. the will of a connection the device already replaced. Throws
   * `EF_HUB_STORE_UNKNOWN_DEVICE`.
   */
  recordDeath(deviceId: string, death: DeathRecord): Promise<boolean>;

  /** Marks one device offline (revocation); a no-op when it has no presence yet. */
  markOffline(deviceId: string, at: number, reason: string): Promise<void>;

  /** Marks every device offline (an embedded broker starts with no connection); returns how many. */
  markAllOffline(at: number, reason: string): Promise<number>;

  /** The device's presence, or `undefined` when it never sent a birth. */
  getPresence(deviceId: string): Promise<PresenceRecord | undefined>;

  /** Number of devices that are online and not revoked. */
  countOnline(): Promise<number>;

  /** Closes the store; later calls throw `EF_HUB_STORE_CLOSED`. Closing twice is harmless. */
  close(): Promise<void>;
}
