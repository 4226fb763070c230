/**
 * What the hub does, as one interface: the HTTP API (`http/`) and tests call it, the hub
 * process (`hub/`) implements it. Every method throws coded errors (`HubError`,
 * `StorageError`, `ProtocolError`, `RuntimeError`), which the HTTP layer maps to statuses.
 */
import type { DeviceProvisioning, Manifest } from '@edgefleet/protocol';

/** A published release as the API shows it. */
export interface ReleaseView {
  name: string;
  version: string;
  /** sha256 of the `.efb` file; also its blob address. */
  sha256: string;
  bytes: number;
  publishedAt: string;
  /** The bundle's verified manifest. */
  manifest: Manifest;
}

/** Everything an agent needs to start (`device.json`, [P-PV-1]). */
export type { DeviceProvisioning } from '@edgefleet/protocol';
/** One model a device reported (birth) or was last told to run (desired state). */
export interface DeviceModelView {
  name: string;
  version: string;
  sha256: string;
}

/** A device as the API shows it. */
export interface DeviceView {
  id: string;
  tags: Record<string, string>;
  createdAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
  online: boolean;
  /** Models the device reported running (from its birth and deployment status). */
  models: DeviceModelView[];
  /** Models of the last desired state the hub published for it, and its version. */
  desired: { version: number; expires: string; models: DeviceModelView[] } | null;
  /** Latest deployment status per model (state, code of the error if any). */
  deployments: { model: string; version: string; state: string; errorCode?: string; ts: string }[];
  /** Latest health record (as sent) or null. */
  health: unknown;
  /** Latest drift record per model (as sent). */
  drift: unknown[];
}

/** A direct assignment of a release to one device. */
export interface DeploymentView {
  deviceId: string;
  name: string;
  version: string;
  sha256: string;
  desiredVersion: number;
  expires: string;
}

/** A stored blob, readable by byte range. */
export interface BlobHandle {
  sha256: string;
  size: number;
  /** Reads `[start, end]` inclusive (HTTP Range semantics). */
  stream(start: number, end: number): NodeJS.ReadableStream;
}

/** The hub's operations. */
export interface HubApi {
  /** Verifies (keyring signature + every digest) and stores a bundle; refuses duplicates. */
  publishRelease(bundle: Buffer): Promise<ReleaseView>;
  /** All releases, or those of one name, ascending by name then SemVer. */
  listReleases(name?: string): Promise<ReleaseView[]>;
  /** `name@version`, or the highest version of `name` when version is omitted. */
  getRelease(name: string, version?: string): Promise<ReleaseView | undefined>;

  /** Enrols a device with fresh credentials; the secret is only in the returned provisioning. */
  enrollDevice(
    id: string,
    tags: Record<string, string>,
  ): Promise<{ device: DeviceView; provisioning: DeviceProvisioning }>;
  listDevices(selector?: Record<string, string>): Promise<DeviceView[]>;
  getDevice(id: string): Promise<DeviceView | undefined>;
  /** Merges `tags` into the device's tags; an empty value removes a key. */
  tagDevice(id: string, tags: Record<string, string>): Promise<DeviceView>;
  /** Revokes the device and disconnects it from the broker. */
  revokeDevice(id: string): Promise<DeviceView>;

  /**
   * Assigns `name@version` to one device: a new signed, retained desired state that keeps the
   * device's other models. `allowDowngrade` defaults to true when the version is below the one
   * currently desired (an explicit rollback). Throws `EF_HUB_RELEASE_NOT_FOUND`,
   * `EF_HUB_DESIRED_UNKNOWN_DEVICE`, `EF_HUB_DESIRED_REVOKED_DEVICE`.
   */
  deploy(
    name: string,
    version: string,
    deviceId: string,
    options?: { allowDowngrade?: boolean },
  ): Promise<DeploymentView>;

  /** Opens a stored blob by sha256, or undefined; a malformed sha256 is `EF_HUB_BLOB_INVALID_SHA`. */
  openBlob(sha256: string): Promise<BlobHandle | undefined>;

  /** Prometheus text exposition of the hub's metrics. */
  metricsText(): Promise<string>;
}
