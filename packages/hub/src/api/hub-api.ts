/**
 * What the hub does, as one interface: the HTTP API (`http/`) and tests call it, the hub
 * process (`hub/`) implements it. Every method throws coded errors (`HubError`,
 * `StorageError`, `ProtocolError`, `RuntimeError`), which the HTTP layer maps to statuses.
 */
import type {
  DeviceDeploymentState,
  DeviceProvisioning,
  Manifest,
  RolloutState,
  WaveState,
} from '@edgefleet/protocol';

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

/**
 * A staged rollout as asked for: the `rollout create` flags as text (numbers are accepted for
 * shares, counts and ms). Each malformed field is refused with its own `EF_HUB_ROLLOUT_*` code.
 */
export interface CreateRolloutRequest {
  /** `name@version` of a published release. */
  release: string;
  /** Tags every selected device carries: `site=plant-a,hw=rpi5`, `*` for all, or an object. */
  selector: string | Record<string, string>;
  /** Percentages ascending to 100 (`1,10,50,100`), cohorts of ids (`a,b;c`), or JSON arrays. */
  waves: string | number[] | string[][];
  /** How long a wave must hold before the next starts: `10m`, or ms. */
  soak: string | number;
  /** A wave fails above this share of failed, rolled-back or timed-out devices (`5%`). */
  maxFailures?: string | number;
  /** A wave passes only at this share of installed or healthy devices (`95%`). */
  minSuccess?: string | number;
  /** Reports needed before a wave is judged (default 3, capped at the wave size). */
  minReported?: string | number;
  /** Health gates: `error-rate<1%`, `p95-latency<1.2x`, `p95-latency<250ms`, `drift<0.25`. */
  gates?: string[];
  /** Notifications per time: `100/min`, `5/s`, or a number per minute. */
  rate?: string | number;
  /** What a failed wave does: pause (default) or roll back every touched device. */
  onFailure?: 'pause' | 'rollback';
  /** A notified device with no final state after this is timed out: `30m`, or ms. */
  deviceTimeout?: string | number;
}

/** Why a rollout or wave is where it is. */
export interface RolloutReasonView {
  code: string;
  message: string;
}

/** A rollout with its validated options (shares in [0, 1], durations in ms). */
export interface RolloutView {
  id: string;
  state: RolloutState;
  options: {
    release: { name: string; version: string };
    selector: Record<string, string>;
    waves: number[] | string[][];
    soakMs: number;
    maxFailures: number;
    minSuccess: number;
    minReported: number;
    gates: string[];
    ratePerMinute: number;
    onFailure: 'pause' | 'rollback';
    deviceTimeoutMs: number;
  };
  /** Index of the wave being rolled out (the last one once finished). */
  currentWave: number;
  reason: RolloutReasonView | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** One gate of one wave against its limit (`value` and `limit` in the gate's unit). */
export interface RolloutGateView {
  gate: string;
  /** `share` (0..1, shown as %), `ratio` (new/previous p95, shown as x) or `ms`. */
  unit: 'share' | 'ratio' | 'ms';
  value: number | null;
  limit: number;
  status: 'pass' | 'fail' | 'no-data' | 'not-evaluated';
  /** Devices whose numbers made the value. */
  devices: number;
  evaluatedAt: string | null;
}

/** One wave: its devices by state, the shares it is judged on, its soak and gates. */
export interface RolloutWaveView {
  index: number;
  state: WaveState;
  size: number;
  /** Cumulative percentage of the selected devices, or null for a cohort. */
  percent: number | null;
  startedAt: string | null;
  soakStartedAt: string | null;
  finishedAt: string | null;
  reason: RolloutReasonView | null;
  counts: Record<DeviceDeploymentState, number>;
  metrics: {
    size: number;
    reported: number;
    needed: number;
    successes: number;
    failures: number;
    successShare: number;
    failureShare: number;
    ended: boolean;
  };
  /** Soak time left while soaking, else null. */
  soakRemainingMs: number | null;
  gates: RolloutGateView[];
}

/** Everything `rollout status` shows. */
export interface RolloutProgressView {
  rollout: RolloutView;
  /** The hub's time of this view. */
  now: string;
  devices: {
    total: number;
    notified: number;
    counts: Record<DeviceDeploymentState, number>;
  };
  waves: RolloutWaveView[];
  /** Progress of the rollback over the devices it touched, or null. */
  rollback: { requested: number; assigned: number; done: number; failed: number } | null;
}

/** One entry of a rollout's event log; ids increase in append order. */
export interface RolloutEventView {
  id: number;
  rolloutId: string;
  ts: string;
  /** `rollout-created`, `rollout-state`, `wave-state`, `device-state`, `gate`, `rollback-*`... */
  type: string;
  wave: number | null;
  deviceId: string | null;
  data: Record<string, unknown>;
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

  /**
   * Starts a staged rollout (DESIGN section 7): selects and orders the devices, plans the waves
   * and notifies the first wave. Throws `EF_HUB_ROLLOUT_*` (a bad option, an unknown release,
   * no matching device, a conflicting rollout).
   */
  createRollout(request: CreateRolloutRequest): Promise<RolloutProgressView>;
  /** Every rollout, oldest first. */
  listRollouts(): Promise<RolloutView[]>;
  /** Waves, device counts by state, gates against their limits. Throws `EF_HUB_ROLLOUT_UNKNOWN`. */
  getRolloutStatus(id: string): Promise<RolloutProgressView>;
  /** running -> paused. Throws `EF_HUB_ROLLOUT_UNKNOWN`, `EF_HUB_ROLLOUT_TRANSITION`. */
  pauseRollout(id: string): Promise<RolloutProgressView>;
  /** paused -> running (after a failed wave: the operator's override, the next wave starts). */
  resumeRollout(id: string): Promise<RolloutProgressView>;
  /** running | paused -> aborted: nothing more is sent; devices stay where they are. */
  abortRollout(id: string): Promise<RolloutProgressView>;
  /** -> rolled-back: every touched device gets a newer desired state with its previous release. */
  rollbackRollout(id: string): Promise<RolloutProgressView>;
  /** The rollout's events with an id above `afterId`, oldest first (at most 1000). */
  rolloutEvents(id: string, afterId?: number): Promise<RolloutEventView[]>;

  /** Prometheus text exposition of the hub's metrics. */
  metricsText(): Promise<string>;
}
