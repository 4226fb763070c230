/**
 * Everything a converger test needs: real signed PM bundles (built once per file), a real
 * keyring, the embedded broker with a tiny blob server standing in for the hub, a test link,
 * a fake model host, an in-memory report sink and a state folder with a real SQLite file.
 * `converger()` can be called again over the same state folder to simulate a restart.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signDesiredState } from '@edgefleet/protocol';
import type { DesiredEnvelope, DesiredModel, PrivateKeyInput } from '@edgefleet/protocol';
import { buildPmBundle } from '../../../../../test/helpers/trust-fixture.js';
import type { TrustFixture } from '../../../../../test/helpers/trust-fixture.js';
import { Converger } from '../../../src/converge/converger.js';
import type { ConvergerOptions } from '../../../src/converge/converger-options.js';
import { openAgentDb } from '../../../src/state/agent-db.js';
import type { AgentDb } from '../../../src/state/agent-db.js';
import { MqttTestLink } from '../../download/helpers/test-link.js';
import { TestHub, waitFor } from '../../download/helpers/test-hub.js';
import { FakeModelHost } from './fake-model-host.js';
import { MemoryReports } from './memory-reports.js';

export { waitFor };
export const DEVICE = 'dev-1';

/** A built bundle. */
export interface BundleFile {
  name: string;
  version: string;
  path: string;
  bytes: Buffer;
  sha256: string;
}

/** Builds signed PM bundles of the given versions (call once per file: about 0.2 s each). */
export async function buildBundles(
  trust: TrustFixture,
  dir: string,
  versions: string[],
): Promise<Map<string, BundleFile>> {
  const out = new Map<string, BundleFile>();
  for (const version of versions) {
    const path = await buildPmBundle(dir, trust.release.privateKey, { version });
    out.set(version, bundleFile(path, 'pm', version));
  }
  return out;
}

/** Describes an `.efb` on disk. */
export function bundleFile(path: string, name: string, version: string): BundleFile {
  const bytes = readFileSync(path);
  return { name, version, path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The desired-state entry for a bundle. */
export function modelOf(b: BundleFile, extra: Partial<DesiredModel> = {}): DesiredModel {
  return { name: b.name, version: b.version, sha256: b.sha256, bytes: b.bytes.length, ...extra };
}

export interface DesiredOptions {
  version: number;
  models: DesiredModel[];
  allowDowngrade?: boolean;
  device?: string;
  issuedAt?: Date;
  expires?: Date;
  key?: PrivateKeyInput;
}

export class ConvergeFixture {
  readonly reports = new MemoryReports();
  host = new FakeModelHost();
  private readonly dbs: AgentDb[] = [];
  private readonly convergers: Converger[] = [];

  private constructor(
    readonly trust: TrustFixture,
    readonly hub: TestHub,
    readonly link: MqttTestLink,
    readonly stateDir: string,
  ) {}

  static async start(trust: TrustFixture, bundles: Iterable<BundleFile>): Promise<ConvergeFixture> {
    const hub = await TestHub.start();
    for (const b of bundles) hub.serve(b.sha256, b.bytes);
    const link = await MqttTestLink.connect(hub.url, DEVICE);
    const stateDir = mkdtempSync(join(tmpdir(), 'ef-converge-'));
    return new ConvergeFixture(trust, hub, link, stateDir);
  }

  /** A new database connection and converger over the state folder (not started). */
  converger(extra: Partial<ConvergerOptions> = {}): Converger {
    const db = openAgentDb(join(this.stateDir, 'agent.db'));
    this.dbs.push(db);
    const converger = new Converger({
      db,
      stateDir: this.stateDir,
      deviceId: DEVICE,
      link: this.link,
      reports: this.reports,
      modelHost: this.host,
      trust: { rootPublicKeys: [this.trust.rootPublicKeyBase64] },
      download: { blockBytes: 4096, window: 4, requestTimeoutMs: 5000, progressIntervalMs: 0 },
      probation: {
        ms: 300,
        maxErrorRate: 0.1,
        maxCrashes: 0,
        minRequests: 10,
        checkIntervalMs: 50,
      },
      ...extra,
    });
    this.convergers.push(converger);
    return converger;
  }

  /**
   * Abandons `converger` as a killed process would be: its handlers and timers are dropped,
   * but a step frozen by a test hook is never finished or cleaned up.
   */
  crash(converger: Converger): void {
    this.convergers.splice(this.convergers.indexOf(converger), 1);
    void converger.stop();
  }

  /** A fresh model host, as after a process restart. */
  restartHost(): FakeModelHost {
    this.host = new FakeModelHost();
    return this.host;
  }

  /** A signed desired-state envelope for this device (deploy key unless `key`). */
  desired(options: DesiredOptions): DesiredEnvelope {
    const issuedAt = options.issuedAt ?? new Date(Date.now() - 60_000);
    const expires = options.expires ?? new Date(Date.now() + 3_600_000);
    return signDesiredState(
      {
        type: 'edgefleet-desired',
        device: options.device ?? DEVICE,
        version: options.version,
        issuedAt: issuedAt.toISOString(),
        expires: expires.toISOString(),
        models: options.models,
        allowDowngrade: options.allowDowngrade ?? false,
      },
      options.key ?? this.trust.deploy.privateKey,
      this.trust.keyring,
    );
  }

  /** Publishes a desired state (retained) on this device's topic. */
  publish(envelope: DesiredEnvelope | string): Promise<void> {
    return this.hub.publishDesired(DEVICE, envelope);
  }

  /** Waits until `executionId` reported `state`. */
  waitForState(executionId: string, state: string, timeoutMs = 20_000) {
    return waitFor(
      () => this.reports.statuses().find((s) => s.executionId === executionId && s.state === state),
      timeoutMs,
      () => `${executionId} ${state}; got ${JSON.stringify(this.reports.statesOf(executionId))}`,
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.convergers.map((c) => c.stop()));
    await this.link.close();
    await this.hub.close();
    for (const db of this.dbs) {
      try {
        db.close();
      } catch {
        // already closed
      }
    }
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** Installs `b` as desired `version` and waits for `healthy`. */
export async function installHealthy(
  fx: ConvergeFixture,
  version: number,
  b: BundleFile,
): Promise<void> {
  await fx.publish(fx.desired({ version, models: [modelOf(b)] }));
  await fx.waitForState(`${version}:${b.name}`, 'healthy');
}
