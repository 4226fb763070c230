/**
 * Desired state per device (DESIGN section 5): the hub decides which models a device runs,
 * signs that with the deploy key under a fresh monotonic version ([P-DS-3]) and an expiry
 * ([P-DS-7]), stores it, and publishes it retained (QoS 1) on `ef/v1/d/<id>/desired`.
 */
import type { KeyObject } from 'node:crypto';
import { compareSemver, topics } from '@edgefleet/protocol';
import type { DesiredModel, SignedKeyring } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { DeploymentView } from '../api/hub-api.js';
import type { MessagePublisher } from '../ingest/message-publisher.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import { ReleaseError } from '../releases/release-errors.js';
import type { HubStore } from '../storage/hub-store.js';
import { readStoredEnvelope, signDesiredDocument } from './desired-document.js';
import { DesiredError } from './desired-errors.js';
import { KeyedLock } from './keyed-lock.js';

/** One model to assign: a published release, optionally tagged with its rollout and wave. */
export interface DesiredModelRequest {
  name: string;
  version: string;
  rolloutId?: string;
  wave?: number;
}

/** Options of {@link DesiredStateService.deploy}. */
export interface DeployOptions {
  /** Default: true when the version is below the one currently desired (an explicit rollback). */
  allowDowngrade?: boolean;
  rolloutId?: string;
  wave?: number;
}

/** What was published. */
export interface PublishedDesired {
  deviceId: string;
  version: number;
  expiresAt: number;
  models: DesiredModel[];
}

/** What the service needs. */
export interface DesiredDeps {
  store: HubStore;
  keyring: SignedKeyring;
  deployKey: KeyObject;
  publish: MessagePublisher;
  ttlMs: number;
  /** Public HTTP base URL; when set, each model gets `url = <base>/v1/blobs/<sha256>`. */
  publicHttpUrl?: string | undefined;
  metrics: HubMetrics;
  logger: Logger;
  now?: () => number;
}

const MAX_MODELS = 64;

/**
 * Assigns, signs, stores and publishes desired state.
 *
 * @example
 * const desired = new DesiredStateService(deps);
 * await desired.deploy('pm', '1.1.0', 'press-07');
 */
export class DesiredStateService {
  readonly #deps: DesiredDeps;
  readonly #lock = new KeyedLock();

  constructor(deps: DesiredDeps) {
    this.#deps = deps;
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  async #requireDevice(deviceId: string): Promise<void> {
    const device = await this.#deps.store.getDevice(deviceId);
    if (device === undefined) {
      throw new DesiredError(
        'EF_HUB_DESIRED_UNKNOWN_DEVICE',
        `device ${deviceId} is not enrolled`,
        {
          deviceId,
        },
      );
    }
    if (device.revokedAt !== null) {
      throw new DesiredError('EF_HUB_DESIRED_REVOKED_DEVICE', `device ${deviceId} is revoked`, {
        deviceId,
      });
    }
  }

  async #resolve(request: DesiredModelRequest): Promise<DesiredModel> {
    const release = await this.#deps.store.getRelease(request.name, request.version);
    if (release === undefined) {
      throw new ReleaseError(
        'EF_HUB_RELEASE_NOT_FOUND',
        `release ${request.name}@${request.version} is not published`,
        { name: request.name, version: request.version },
      );
    }
    const base = this.#deps.publicHttpUrl;
    return {
      name: release.name,
      version: release.version,
      sha256: release.sha256,
      bytes: release.bytes,
      ...(base === undefined
        ? {}
        : { url: `${base.replace(/\/+$/, '')}/v1/blobs/${release.sha256}` }),
      ...(request.rolloutId === undefined ? {} : { rolloutId: request.rolloutId }),
      ...(request.wave === undefined ? {} : { wave: request.wave }),
    };
  }

  /** The models of the device's current desired state (empty when none). */
  async currentModels(deviceId: string): Promise<DesiredModel[]> {
    const record = await this.#deps.store.getDesiredState(deviceId);
    return readStoredEnvelope(record?.envelope?.envelopeJson).models;
  }

  /** Signs, stores and publishes `models` for the device under a new version. */
  async #publish(
    deviceId: string,
    models: DesiredModel[],
    allowDowngrade: boolean,
    cause: string,
  ): Promise<PublishedDesired> {
    const { store, ttlMs, keyring, deployKey } = this.#deps;
    const version = await store.nextDesiredVersion(deviceId);
    const issuedAt = this.#now();
    const envelope = signDesiredDocument({
      deviceId,
      version,
      issuedAt,
      ttlMs,
      models,
      allowDowngrade,
      deployKey,
      keyring,
    });
    const envelopeJson = JSON.stringify(envelope);
    const expiresAt = issuedAt + ttlMs;
    await store.setDesiredEnvelope(deviceId, {
      version,
      envelopeJson,
      expiresAt,
      publishedAt: issuedAt,
    });
    await this.#send(deviceId, envelopeJson, version);
    this.#deps.metrics.desiredPublished.inc({ cause });
    this.#deps.logger.info(
      { deviceId, version, cause, models: models.length },
      'desired state published',
    );
    return { deviceId, version, expiresAt, models };
  }

  /** Publishes retained; the state is already stored, so a broker outage only delays it. */
  async #send(deviceId: string, envelopeJson: string, version: number): Promise<void> {
    try {
      await this.#deps.publish(topics.desired(deviceId), envelopeJson, { qos: 1, retain: true });
    } catch (err) {
      this.#deps.logger.warn(
        { deviceId, version, err },
        'desired state stored but not yet published; it is republished when the broker is back',
      );
    }
  }

  /**
   * Sets the device's models to exactly `models` (each a published release). Rolling back is
   * a newer version pointing at an older bundle with `allowDowngrade: true` ([P-DS-8]).
   * Throws `EF_HUB_DESIRED_*` and `EF_HUB_RELEASE_NOT_FOUND`.
   */
  assign(
    deviceId: string,
    models: readonly DesiredModelRequest[],
    options: { allowDowngrade?: boolean } = {},
  ): Promise<PublishedDesired> {
    return this.#lock.run(deviceId, async () => {
      await this.#requireDevice(deviceId);
      checkRequests(models);
      const resolved = await Promise.all(models.map((m) => this.#resolve(m)));
      return this.#publish(deviceId, resolved, options.allowDowngrade ?? false, 'assign');
    });
  }

  /**
   * Adds or replaces one model in the device's desired state, keeping the others.
   *
   * @example
   * await desired.deploy('pm', '1.0.0', 'press-07'); // a rollback from 1.1.0: allowDowngrade
   */
  deploy(
    name: string,
    version: string,
    deviceId: string,
    options: DeployOptions = {},
  ): Promise<DeploymentView> {
    return this.#lock.run(deviceId, async () => {
      await this.#requireDevice(deviceId);
      checkRequests([{ name, version, ...options }]);
      const model = await this.#resolve({ name, version, ...options });
      const current = await this.currentModels(deviceId);
      const previous = current.find((m) => m.name === model.name);
      const downgrade =
        previous !== undefined && compareSemver(model.version, previous.version) < 0;
      const models = [...current.filter((m) => m.name !== model.name), model];
      if (models.length > MAX_MODELS) {
        throw new DesiredError(
          'EF_HUB_DESIRED_ARGUMENT',
          `a device runs at most ${MAX_MODELS} models`,
        );
      }
      const published = await this.#publish(
        deviceId,
        models,
        options.allowDowngrade ?? downgrade,
        'deploy',
      );
      return {
        deviceId,
        name: model.name,
        version: model.version,
        sha256: model.sha256,
        desiredVersion: published.version,
        expires: new Date(published.expiresAt).toISOString(),
      };
    });
  }

  /**
   * Removes one model from the device's desired state, keeping the others: the rollback of a
   * device that had no earlier release of that model. Returns the new document's version.
   *
   * @example
   * await desired.unassign('press-07', 'pm');
   */
  unassign(
    deviceId: string,
    model: string,
    options: { allowDowngrade?: boolean } = {},
  ): Promise<PublishedDesired> {
    return this.#lock.run(deviceId, async () => {
      await this.#requireDevice(deviceId);
      const current = await this.currentModels(deviceId);
      const models = current.filter((m) => m.name !== model);
      return this.#publish(deviceId, models, options.allowDowngrade ?? false, 'unassign');
    });
  }

  /**
   * Re-signs (new version, new expiry) every stored document that is past half its lifetime,
   * so no device sees it expire ([P-DS-7]). Returns how many were republished.
   */
  async republishDue(): Promise<number> {
    const now = this.#now();
    const candidates = await this.#deps.store.listDesiredExpiringBefore(now + this.#deps.ttlMs);
    let count = 0;
    for (const record of candidates) {
      const envelope = record.envelope;
      if (envelope === null) continue;
      const stored = readStoredEnvelope(envelope.envelopeJson);
      const lifetime = envelope.expiresAt - (stored.issuedAt ?? envelope.publishedAt);
      if (envelope.expiresAt - now > lifetime / 2) continue;
      const done = await this.#lock.run(record.deviceId, async () => {
        const device = await this.#deps.store.getDevice(record.deviceId);
        const latest = await this.#deps.store.getDesiredState(record.deviceId);
        // Revoked, or reassigned meanwhile: nothing to renew.
        if (device?.revokedAt !== null || latest?.envelope?.version !== envelope.version)
          return false;
        await this.#publish(record.deviceId, stored.models, stored.allowDowngrade, 'renew');
        return true;
      });
      if (done) count += 1;
    }
    return count;
  }

  /**
   * Publishes every stored document of a non-revoked device again, retained. Run when the hub's
   * MQTT client (re)connects: an embedded broker forgets retained messages when it restarts.
   */
  async publishAllCurrent(): Promise<number> {
    const records = await this.#deps.store.listDesiredExpiringBefore(Number.MAX_SAFE_INTEGER);
    let count = 0;
    for (const record of records) {
      if (record.envelope === null) continue;
      const device = await this.#deps.store.getDevice(record.deviceId);
      if (device === undefined || device.revokedAt !== null) continue;
      await this.#send(record.deviceId, record.envelope.envelopeJson, record.envelope.version);
      count += 1;
    }
    return count;
  }

  /** Removes the retained document of a revoked device from the broker. */
  async clearRetained(deviceId: string): Promise<void> {
    try {
      await this.#deps.publish(topics.desired(deviceId), Buffer.alloc(0), { qos: 1, retain: true });
    } catch (err) {
      this.#deps.logger.warn({ deviceId, err }, 'could not clear the retained desired state');
    }
  }
}

function checkRequests(models: readonly DesiredModelRequest[]): void {
  if (!Array.isArray(models) || models.length > MAX_MODELS) {
    throw new DesiredError(
      'EF_HUB_DESIRED_ARGUMENT',
      `models must be an array of at most ${MAX_MODELS}`,
    );
  }
  const names = new Set<string>();
  for (const m of models) {
    if (
      typeof m !== 'object' ||
      m === null ||
      typeof m.name !== 'string' ||
      typeof m.version !== 'string'
    ) {
      throw new DesiredError('EF_HUB_DESIRED_ARGUMENT', 'each model needs a name and a version');
    }
    if (names.has(m.name)) {
      throw new DesiredError('EF_HUB_DESIRED_ARGUMENT', `model ${m.name} is assigned twice`, {
        model: m.name,
      });
    }
    names.add(m.name);
    if (m.wave !== undefined && (!Number.isSafeInteger(m.wave) || m.wave < 0)) {
      throw new DesiredError('EF_HUB_DESIRED_ARGUMENT', `wave must be a non-negative integer`);
    }
    // The protocol's identifier: 1-128 printable ASCII characters without spaces.
    if (m.rolloutId !== undefined && !/^[\x21-\x7e]{1,128}$/.test(m.rolloutId)) {
      throw new DesiredError(
        'EF_HUB_DESIRED_ARGUMENT',
        'rolloutId must be 1-128 printable ASCII characters',
      );
    }
  }
}
