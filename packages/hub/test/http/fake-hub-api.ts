/**
 * An in-memory `HubApi` for HTTP and CLI tests (test-only). It does not verify bundles: a "bundle"
 * is made by `fakeBundle` (a JSON header line naming the release, then padding); anything else is
 * refused as unsigned, and a bundle whose header says `tampered` is refused as tampered, with the
 * codes the real hub uses (EF_HUB_RELEASE_*).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { EdgefleetError, compareSemver, isDeviceId } from '@edgefleet/protocol';
import type { Manifest } from '@edgefleet/protocol';
import type {
  BlobHandle,
  CreateRolloutRequest,
  DeploymentView,
  DeviceProvisioning,
  DeviceView,
  HubApi,
  ReleaseView,
  RolloutEventView,
  RolloutProgressView,
  RolloutView,
} from '../../src/api/hub-api.js';
import {
  eventView,
  progressView,
  rolloutOptionsInput,
  rolloutView,
} from '../../src/hub/rollout-views.js';
import { RolloutEngine } from '../../src/rollouts/index.js';
import type { DeviceStatusReport, RolloutPorts, WindowStats } from '../../src/rollouts/index.js';
import { StorageError } from '../../src/storage/storage-errors.js';

const HEADER_PREFIX = 'FAKE-EFB ';

/**
 * Bytes the fake accepts as a bundle of `name@version`, `padBytes` long at least.
 *
 * @example
 * await api.publishRelease(fakeBundle('pm', '1.0.0'));
 */
export function fakeBundle(
  name: string,
  version: string,
  options: { padBytes?: number; tampered?: boolean } = {},
): Buffer {
  const header = `${HEADER_PREFIX}${JSON.stringify({ name, version, tampered: options.tampered === true })}\n`;
  return Buffer.concat([Buffer.from(header), randomBytes(options.padBytes ?? 64)]);
}

function fakeManifest(name: string, version: string): Manifest {
  // Only the fields the CLI shows; the fake never hands a manifest to code that checks it.
  return { schemaVersion: 1, name, version, createdAt: new Date(0).toISOString() } as Manifest;
}

function unknownDevice(id: string): StorageError {
  return new StorageError('EF_HUB_STORE_UNKNOWN_DEVICE', `no device '${id}' is enrolled`, { id });
}

/** The fake, with its state open for assertions and a hook to make the next call fail. */
export class FakeHubApi implements HubApi {
  readonly releases: ReleaseView[] = [];
  readonly devices = new Map<string, DeviceView>();
  readonly blobs = new Map<string, Buffer>();
  readonly deployments: DeploymentView[] = [];
  /** Device secrets by id, as enrolment handed them out (for HTTP Basic auth in tests). */
  readonly secrets = new Map<string, string>();
  /** Thrown by the next API call (then cleared), to test error mapping. */
  failNext: unknown = undefined;
  /** Called with each method name, for tests that need to see what the router called. */
  readonly calls: string[] = [];
  private desiredVersion = 0;

  private enter(method: string): void {
    this.calls.push(method);
    const fail = this.failNext;
    if (fail !== undefined) {
      this.failNext = undefined;
      throw fail;
    }
  }

  async publishRelease(bundle: Buffer): Promise<ReleaseView> {
    this.enter('publishRelease');
    const text = bundle.subarray(0, 512).toString('utf8');
    const newline = text.indexOf('\n');
    if (!text.startsWith(HEADER_PREFIX) || newline < 0) {
      throw new EdgefleetError('EF_HUB_RELEASE_UNSIGNED', 'the bundle has no signature');
    }
    const header = JSON.parse(text.slice(HEADER_PREFIX.length, newline)) as {
      name: string;
      version: string;
      tampered: boolean;
    };
    if (header.tampered) {
      throw new EdgefleetError('EF_HUB_RELEASE_TAMPERED', 'model.onnx does not match its digest');
    }
    if (this.releases.some((r) => r.name === header.name && r.version === header.version)) {
      throw new EdgefleetError(
        'EF_HUB_RELEASE_DUPLICATE',
        `${header.name}@${header.version} is already published`,
        { name: header.name, version: header.version },
      );
    }
    const sha256 = createHash('sha256').update(bundle).digest('hex');
    const release: ReleaseView = {
      name: header.name,
      version: header.version,
      sha256,
      bytes: bundle.length,
      publishedAt: new Date().toISOString(),
      manifest: fakeManifest(header.name, header.version),
    };
    this.releases.push(release);
    this.blobs.set(sha256, Buffer.from(bundle));
    return release;
  }

  async listReleases(name?: string): Promise<ReleaseView[]> {
    this.enter('listReleases');
    return this.releases
      .filter((r) => name === undefined || r.name === name)
      .sort((a, b) =>
        a.name === b.name ? compareSemver(a.version, b.version) : a.name < b.name ? -1 : 1,
      );
  }

  async getRelease(name: string, version?: string): Promise<ReleaseView | undefined> {
    this.enter('getRelease');
    const all = this.releases
      .filter((r) => r.name === name)
      .sort((a, b) => compareSemver(a.version, b.version));
    return version === undefined ? all.at(-1) : all.find((r) => r.version === version);
  }

  async enrollDevice(
    id: string,
    tags: Record<string, string>,
  ): Promise<{ device: DeviceView; provisioning: DeviceProvisioning }> {
    this.enter('enrollDevice');
    if (!isDeviceId(id)) {
      throw new StorageError('EF_HUB_STORE_ARGUMENT', `invalid device id '${id}'`);
    }
    if (this.devices.has(id)) {
      throw new StorageError('EF_HUB_STORE_DUPLICATE_DEVICE', `device '${id}' is already enrolled`);
    }
    const device: DeviceView = {
      id,
      tags: { ...tags },
      createdAt: new Date().toISOString(),
      revokedAt: null,
      lastSeenAt: null,
      online: false,
      models: [],
      desired: null,
      deployments: [],
      health: null,
      drift: [],
    };
    this.devices.set(id, device);
    const password = randomBytes(24).toString('base64url');
    this.secrets.set(id, password);
    return {
      device,
      provisioning: {
        deviceId: id,
        brokerUrl: 'mqtt://127.0.0.1:1883',
        username: id,
        password,
        rootPublicKeys: [randomBytes(32).toString('base64')],
      },
    };
  }

  /** What the hub's device check would say: enrolled, not revoked, right secret. */
  async checkDeviceSecret(id: string, secret: string): Promise<boolean> {
    const device = this.devices.get(id);
    return device !== undefined && device.revokedAt === null && this.secrets.get(id) === secret;
  }

  async listDevices(selector?: Record<string, string>): Promise<DeviceView[]> {
    this.enter('listDevices');
    return [...this.devices.values()]
      .filter((d) => Object.entries(selector ?? {}).every(([k, v]) => d.tags[k] === v))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async getDevice(id: string): Promise<DeviceView | undefined> {
    this.enter('getDevice');
    return this.devices.get(id);
  }

  async tagDevice(id: string, tags: Record<string, string>): Promise<DeviceView> {
    this.enter('tagDevice');
    const device = this.devices.get(id);
    if (device === undefined) throw unknownDevice(id);
    for (const [k, v] of Object.entries(tags)) {
      if (v === '') delete device.tags[k];
      else device.tags[k] = v;
    }
    return device;
  }

  async revokeDevice(id: string): Promise<DeviceView> {
    this.enter('revokeDevice');
    const device = this.devices.get(id);
    if (device === undefined) throw unknownDevice(id);
    device.revokedAt ??= new Date().toISOString();
    device.online = false;
    return device;
  }

  /** The options of the last deploy call, to check the router passes them through. */
  lastDeployOptions: { allowDowngrade?: boolean } | undefined;

  async deploy(
    name: string,
    version: string,
    deviceId: string,
    options?: { allowDowngrade?: boolean },
  ): Promise<DeploymentView> {
    this.enter('deploy');
    this.lastDeployOptions = options;
    return this.assign(name, version, deviceId);
  }

  private assign(name: string, version: string, deviceId: string): DeploymentView {
    const device = this.devices.get(deviceId);
    if (device === undefined) throw unknownDevice(deviceId);
    const release = this.releases.find((r) => r.name === name && r.version === version);
    if (release === undefined) {
      throw new EdgefleetError('EF_HUB_RELEASE_NOT_FOUND', `no release ${name}@${version}`);
    }
    const deployment: DeploymentView = {
      deviceId,
      name,
      version,
      sha256: release.sha256,
      desiredVersion: ++this.desiredVersion,
      expires: new Date(Date.now() + 86_400_000).toISOString(),
    };
    const models = [{ name, version, sha256: release.sha256 }];
    device.desired = { version: deployment.desiredVersion, expires: deployment.expires, models };
    this.deployments.push(deployment);
    return deployment;
  }

  /** Per `device@version`: what the engine's gates read for that device. */
  readonly windowStats = new Map<string, WindowStats>();
  private engine: RolloutEngine | undefined;
  private rolloutIds = 0;

  /**
   * A real rollout engine on an in-memory store over this fake's devices and releases. It is
   * not started: tests move it with {@link advanceRollouts} and {@link reportStatus}.
   */
  get rollouts(): RolloutEngine {
    this.engine ??= RolloutEngine.open(':memory:', {
      ports: this.rolloutPorts(),
      newId: () => `ro-test${String(++this.rolloutIds).padStart(6, '0')}`,
    });
    return this.engine;
  }

  private rolloutPorts(): RolloutPorts {
    return {
      devices: {
        list: async (selector) =>
          [...this.devices.values()]
            .filter((d) => Object.entries(selector).every(([k, v]) => d.tags[k] === v))
            .map((d) => ({ id: d.id, revoked: d.revokedAt !== null })),
        currentRelease: async (deviceId, model) => {
          const m = this.devices.get(deviceId)?.desired?.models.find((x) => x.name === model);
          return m === undefined ? null : { name: m.name, version: m.version };
        },
      },
      deployer: {
        hasRelease: async (r) =>
          this.releases.some((x) => x.name === r.name && x.version === r.version),
        assign: async (deviceId, r) => ({
          desiredVersion: this.assign(r.name, r.version, deviceId).desiredVersion,
        }),
        unassign: async (deviceId, model) => {
          const device = this.devices.get(deviceId);
          if (device === undefined) throw unknownDevice(deviceId);
          const models = (device.desired?.models ?? []).filter((m) => m.name !== model);
          const version = ++this.desiredVersion;
          device.desired = { version, expires: new Date().toISOString(), models };
          return { desiredVersion: version };
        },
      },
      signals: {
        latestStatuses: async () => new Map(),
        windowStats: async (queries) =>
          queries.map((q) => this.windowStats.get(`${q.deviceId}@${q.version}`) ?? null),
      },
    };
  }

  /** One engine tick: notifies, judges waves, moves the rollouts. */
  async advanceRollouts(): Promise<void> {
    await this.rollouts.tick();
  }

  /** A device's deployment status, as the hub hands stored statuses to the engine. */
  async reportStatus(
    deviceId: string,
    release: string,
    state: DeviceStatusReport['state'],
    errorCode?: string,
  ): Promise<void> {
    const [model = '', version = ''] = release.split('@');
    await this.rollouts.onDeviceStatus(deviceId, {
      model,
      version,
      state,
      ts: Date.now(),
      ...(errorCode === undefined ? {} : { error: { code: errorCode } }),
    });
  }

  async createRollout(request: CreateRolloutRequest): Promise<RolloutProgressView> {
    this.enter('createRollout');
    const rollout = await this.rollouts.create(rolloutOptionsInput(request));
    return progressView(await this.rollouts.status(rollout.id));
  }

  async listRollouts(): Promise<RolloutView[]> {
    this.enter('listRollouts');
    return (await this.rollouts.list()).map(rolloutView);
  }

  async getRolloutStatus(id: string): Promise<RolloutProgressView> {
    this.enter('getRolloutStatus');
    return progressView(await this.rollouts.status(id));
  }

  private async operate(
    method: string,
    id: string,
    op: (id: string) => Promise<unknown>,
  ): Promise<RolloutProgressView> {
    this.enter(method);
    await op(id);
    return progressView(await this.rollouts.status(id));
  }

  pauseRollout(id: string): Promise<RolloutProgressView> {
    return this.operate('pauseRollout', id, (x) => this.rollouts.pause(x));
  }

  resumeRollout(id: string): Promise<RolloutProgressView> {
    return this.operate('resumeRollout', id, (x) => this.rollouts.resume(x));
  }

  abortRollout(id: string): Promise<RolloutProgressView> {
    return this.operate('abortRollout', id, (x) => this.rollouts.abort(x));
  }

  rollbackRollout(id: string): Promise<RolloutProgressView> {
    return this.operate('rollbackRollout', id, (x) => this.rollouts.rollback(x));
  }

  async rolloutEvents(id: string, afterId?: number): Promise<RolloutEventView[]> {
    this.enter('rolloutEvents');
    const events = await this.rollouts.events(id, afterId === undefined ? {} : { afterId });
    return events.map(eventView);
  }

  async openBlob(sha256: string): Promise<BlobHandle | undefined> {
    this.enter('openBlob');
    const bytes = this.blobs.get(sha256);
    if (bytes === undefined) return undefined;
    return {
      sha256,
      size: bytes.length,
      stream: (start, end) => Readable.from([bytes.subarray(start, end + 1)]),
    };
  }

  async metricsText(): Promise<string> {
    this.enter('metricsText');
    return `# HELP edgefleet_devices_online Devices connected to the broker.\n# TYPE edgefleet_devices_online gauge\nedgefleet_devices_online ${[...this.devices.values()].filter((d) => d.online).length}\n`;
  }
}
