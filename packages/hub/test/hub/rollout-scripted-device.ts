/**
 * A device played by a test over real MQTT: it verifies each signed desired state as an agent
 * does, answers each model it must change with deployment statuses (downloading -> verified ->
 * installed -> healthy, or failed) and, when told to, reports health and drift telemetry for it.
 * Real agent processes are tested elsewhere; this keeps the hub's rollout tests fast and exact.
 */
import { randomBytes } from 'node:crypto';
import { topics, verifyDesiredState } from '@edgefleet/protocol';
import type { DesiredModel, DesiredState } from '@edgefleet/protocol';
import type { MqttClient } from 'mqtt';

/** What happens when the device installs `model`. */
export interface InstallScript {
  /** An error code makes the install fail with it; undefined ends healthy. */
  failWith?: (model: DesiredModel) => string | undefined;
  /** Health counters reported once the model is healthy (cumulative since activation). */
  health?: (model: DesiredModel) => { requests: number; errors: number; p95: number } | undefined;
  /** Drift windows reported once the model is healthy. */
  drift?: (model: DesiredModel) => { windows: number; drifted: number; share: number } | undefined;
}

/**
 * One scripted device; {@link attach} it to a connected client before subscribing, so a retained
 * desired state delivered with the SUBACK is not missed.
 *
 * @example
 * const dev = new ScriptedDevice('press-01', provisioning.rootPublicKeys, { failWith: () => 'EF_X' });
 * dev.attach(client);
 * await client.subscribeAsync(topics.desired('press-01'), { qos: 1 });
 */
export class ScriptedDevice {
  /** Installed (healthy) version per model. */
  readonly installed = new Map<string, string>();
  /** Every desired state the device accepted, in order. */
  readonly accepted: DesiredState[] = [];
  /** Statuses sent, as `model@version:state`. */
  readonly sent: string[] = [];
  readonly bootId = `boot-${randomBytes(6).toString('hex')}`;
  #seq = 0;
  #chain: Promise<void> = Promise.resolve();
  #client: MqttClient | undefined;
  /** Everything published, resent on a new connection as an agent's outbox resends (the hub dedupes). */
  readonly #outbox: { topic: string; payload: string }[] = [];

  constructor(
    readonly id: string,
    readonly rootPublicKeys: string[],
    public script: InstallScript = {},
  ) {}

  /**
   * Uses `client` from now on (a reconnect after a hub restart keeps the device's state) and
   * resends what it published before, in case the old hub stopped before storing it.
   */
  attach(client: MqttClient): void {
    const resend = this.#client !== undefined;
    this.#client = client;
    if (resend) {
      for (const m of this.#outbox) {
        client.publishAsync(m.topic, m.payload, { qos: 1 }).catch(() => undefined);
      }
    }
    client.on('message', (topic, payload) => {
      if (topic !== topics.desired(this.id) || payload.length === 0) return;
      this.#chain = this.#chain.then(() => this.#onDesired(payload)).catch(() => undefined);
    });
  }

  get client(): MqttClient {
    if (this.#client === undefined) throw new Error(`${this.id} is not attached`);
    return this.#client;
  }

  /** The last accepted desired state. */
  get last(): DesiredState | undefined {
    return this.accepted.at(-1);
  }

  async #onDesired(payload: Buffer): Promise<void> {
    let desired: DesiredState;
    try {
      ({ desired } = verifyDesiredState(payload, {
        deviceId: this.id,
        rootPublicKey: this.rootPublicKeys,
        ...(this.last === undefined ? {} : { lastVersion: this.last.version }),
        installed: Object.fromEntries(this.installed),
      }));
    } catch {
      // A replayed retained document (the hub republishes on reconnect) is refused, as an agent does.
      return;
    }
    this.accepted.push(desired);
    for (const name of [...this.installed.keys()]) {
      if (!desired.models.some((m) => m.name === name)) this.installed.delete(name);
    }
    for (const model of desired.models) {
      if (this.installed.get(model.name) === model.version) continue;
      await this.#install(desired, model);
    }
  }

  async #install(desired: DesiredState, model: DesiredModel): Promise<void> {
    const executionId = `exec-${desired.version}-${model.name}`;
    for (const state of ['downloading', 'verified', 'installed'] as const) {
      await this.status(desired.version, executionId, model, state);
    }
    const failure = this.script.failWith?.(model);
    if (failure !== undefined) {
      await this.status(desired.version, executionId, model, 'failed', failure);
      return;
    }
    this.installed.set(model.name, model.version);
    await this.status(desired.version, executionId, model, 'healthy');
    const health = this.script.health?.(model);
    if (health !== undefined) await this.health(model, health);
    const drift = this.script.drift?.(model);
    if (drift !== undefined) await this.driftWindows(model, drift);
  }

  /** Publishes one deployment status ([P-ST-1]). */
  async status(
    desiredVersion: number,
    executionId: string,
    model: DesiredModel,
    state: string,
    errorCode?: string,
  ): Promise<void> {
    this.sent.push(`${model.name}@${model.version}:${state}`);
    await this.#publish(
      topics.status(this.id),
      JSON.stringify({
        device: this.id,
        bootId: this.bootId,
        seq: this.#seq++,
        ts: new Date().toISOString(),
        desiredVersion,
        executionId,
        model: model.name,
        version: model.version,
        sha256: model.sha256,
        state,
        ...(errorCode === undefined ? {} : { error: { code: errorCode, message: 'scripted' } }),
      }),
    );
  }

  /** Publishes one health record with the model's cumulative counters. */
  async health(
    model: Pick<DesiredModel, 'name' | 'version'>,
    counters: { requests: number; errors: number; p95: number },
  ): Promise<void> {
    const ts = new Date().toISOString();
    await this.#telemetry('health', {
      ts,
      uptimeS: 10,
      cpu: 0.1,
      memory: { rss: 1, total: 4, free: 2 },
      disk: { free: 5, total: 10 },
      outbox: { depth: 0, bytes: 0, dropped: 0, expired: 0 },
      models: [
        {
          name: model.name,
          version: model.version,
          requests: counters.requests,
          errors: counters.errors,
          latencyMs: { p50: counters.p95 / 2, p95: counters.p95, p99: counters.p95 * 1.5 },
        },
      ],
    });
  }

  /** Publishes drift windows of the model, `drifted` of them scored drifted. */
  async driftWindows(
    model: Pick<DesiredModel, 'name' | 'version'>,
    spec: { windows: number; drifted: number; share: number },
  ): Promise<void> {
    const now = new Date().toISOString();
    const records = Array.from({ length: spec.windows }, (_, i) => ({
      model: model.name,
      version: model.version,
      windowStart: now,
      windowEnd: now,
      count: 200,
      features: [{ name: 'f0', counts: [100, 100] }],
      output: { counts: [150, 50] },
      drifted: i < spec.drifted,
      driftedShare: i < spec.drifted ? spec.share : 0,
    }));
    await this.#telemetry('drift', ...records);
  }

  async #telemetry(stream: 'health' | 'drift', ...records: object[]): Promise<void> {
    await this.#publish(
      topics.telemetry(this.id, stream),
      JSON.stringify({
        device: this.id,
        bootId: this.bootId,
        seq: this.#seq++,
        stream,
        sentAt: new Date().toISOString(),
        records,
      }),
    );
  }

  async #publish(topic: string, payload: string): Promise<void> {
    this.#outbox.push({ topic, payload });
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }
}
