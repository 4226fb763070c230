/**
 * Issue 6, "Must show" (security): a real agent process serving a model from a real hub is
 * sent a tampered bundle, a replayed older desired state, an expired one, ones signed by the
 * wrong key, and one for another device. Each is refused, reported to the hub as a `failed`
 * deployment status with its code, and the model that served keeps serving, same version.
 *
 * Forged documents are published the way an attacker with broker access would have to: as a
 * retained message on the device's own `desired` topic, through the hub's privileged broker
 * connection (stored as the device's current envelope, then `publishAllCurrent`), since devices
 * may not publish there.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlobStore } from '@edgefleet/hub';
import type { ReleaseView, RunningHub } from '@edgefleet/hub';
import { generateKeyPair, signDesiredState } from '@edgefleet/protocol';
import type { DesiredEnvelope, DesiredState } from '@edgefleet/protocol';
import { readBundleArchive, writeBundleArchive } from '@edgefleet/runtime';
import {
  predict,
  queryDb,
  startAgentProcess,
  startTestHub,
  writeDeviceConfig,
} from '../helpers/agent-process.js';
import type { AgentProcess } from '../helpers/agent-process.js';
import { killAllProcesses } from '../helpers/spawn-process.js';
import { buildPmBundle, makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const DEVICE = 'press-1';
const HOUR = 3_600_000;

let trust: TrustFixture;
let bundleDir: string;
let v100: string;
let v110: string;
let dir: string | undefined;
let hub: RunningHub | undefined;

beforeAll(async () => {
  trust = makeTrust();
  bundleDir = mkdtempSync(join(tmpdir(), 'ef-sec-bundles-'));
  v100 = await buildPmBundle(bundleDir, trust.release.privateKey, { version: '1.0.0' });
  v110 = await buildPmBundle(bundleDir, trust.release.privateKey, { version: '1.1.0' });
  return () => rm(bundleDir, { recursive: true, force: true });
}, 120_000);

afterEach(async () => {
  await killAllProcesses();
  await hub?.close();
  hub = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

interface Serving {
  hub: RunningHub;
  agent: AgentProcess;
  r110: ReleaseView;
  stateDir: string;
  /** The envelope the hub signed for the first deploy (desired version 1). */
  firstEnvelope: string;
}

/** A hub with pm 1.0.0 and 1.1.0 published, and an agent process serving 1.0.0, healthy. */
async function servingV100(): Promise<Serving> {
  dir = mkdtempSync(join(tmpdir(), 'ef-sec-'));
  const running = await startTestHub(dir, trust);
  hub = running;
  await running.api.publishRelease(await readFile(v100));
  const r110 = await running.api.publishRelease(await readFile(v110));
  const { provisioning } = await running.api.enrollDevice(DEVICE, {});
  await running.api.enrollDevice('press-2', {});
  const config = await writeDeviceConfig(join(dir, 'device.json'), provisioning);
  const stateDir = join(dir, 'agent');
  const agent = await startAgentProcess(config, stateDir);
  await running.api.deploy('pm', '1.0.0', DEVICE);
  await waitForHealthy(running, '1.0.0');
  const firstEnvelope = (await running.store.getDesiredState(DEVICE))?.envelope?.envelopeJson;
  if (firstEnvelope === undefined) throw new Error('no desired envelope stored');
  return { hub: running, agent, r110, stateDir, firstEnvelope };
}

async function waitForHealthy(running: RunningHub, version: string): Promise<void> {
  await waitFor(
    async () =>
      (await running.store.deploymentHistory(DEVICE)).some(
        (s) => s.version === version && s.state === 'healthy',
      ),
    60_000,
    `the hub sees pm@${version} healthy`,
  );
}

/** The last desired-state version the agent accepted (its SQLite trust row). */
function acceptedVersion(stateDir: string): number | null {
  return (
    queryDb<{ desired_version: number | null }>(
      join(stateDir, 'agent.db'),
      'SELECT desired_version FROM converge_trust WHERE id = 1',
    )[0]?.desired_version ?? null
  );
}

/** Publishes `envelopeJson` retained on the device's desired topic through the hub's client. */
async function publishRetained(running: RunningHub, envelopeJson: string): Promise<void> {
  const version = await running.store.nextDesiredVersion(DEVICE);
  const now = Date.now();
  await running.store.setDesiredEnvelope(DEVICE, {
    version,
    envelopeJson,
    expiresAt: now + 7 * 24 * HOUR,
    publishedAt: now,
  });
  await running.desired.publishAllCurrent();
}

/** A desired state for pm@1.1.0, far above any version the agent saw, valid for an hour. */
function forgedDoc(r110: ReleaseView, overrides: Partial<DesiredState> = {}): DesiredState {
  const now = Date.now();
  return {
    type: 'edgefleet-desired',
    device: DEVICE,
    version: 1000,
    issuedAt: new Date(now - 60_000).toISOString(),
    expires: new Date(now + HOUR).toISOString(),
    models: [{ name: 'pm', version: '1.1.0', sha256: r110.sha256, bytes: r110.bytes }],
    allowDowngrade: false,
    ...overrides,
  };
}

function sign(doc: DesiredState, key: string): DesiredEnvelope {
  return signDesiredState(doc, key, trust.keyring);
}

/**
 * Waits for the hub to hold a `failed` status with `code`, then checks that `serving` still
 * serves and that the agent's accepted desired version is `acceptedBefore`.
 */
async function expectRefused(
  s: Serving,
  code: string,
  serving: string,
  acceptedBefore: number | null,
): Promise<void> {
  // Every report is stored; a refusal becomes deployment state only when it names the document
  // the hub last published (status-handler.ts), so forged ones stay out of rollouts' view.
  const statuses = async () =>
    (
      await s.hub.store.listTelemetry({
        deviceId: DEVICE,
        stream: 'status',
        since: 0,
        limit: 10_000,
      })
    ).map(
      (row) =>
        JSON.parse(row.payloadJson) as {
          state: string;
          executionId: string;
          model: string;
          error?: { code: string };
        },
    );
  const refusal = await waitFor(
    async () => (await statuses()).find((st) => st.state === 'failed' && st.error?.code === code),
    60_000,
    `a failed status with ${code} at the hub`,
  );
  expect(refusal.model).toBe('pm');
  const reply = await predict(s.agent.info.apiUrl);
  expect(reply.status).toBe(200);
  expect(reply.body.version).toBe(serving);
  const models = (await (await fetch(`${s.agent.info.apiUrl}/v1/models`)).json()) as {
    models: { name: string; version: string }[];
  };
  expect(models.models.map((m) => `${m.name}@${m.version}`)).toEqual([`pm@${serving}`]);
  if (acceptedBefore !== undefined) expect(acceptedVersion(s.stateDir)).toBe(acceptedBefore);
  // That was the only failure, and nothing was switched in or rolled back for it.
  const history = await statuses();
  expect(history.filter((st) => st.state === 'failed').map((st) => st.error?.code)).toEqual([code]);
  expect(history.filter((st) => st.state === 'rolled-back')).toEqual([]);
  const refused = history.filter((st) => st.executionId === refusal.executionId);
  expect(refused.map((st) => st.state)).not.toContain('installed');
}

describe('agent process refusing tampered or forged updates', () => {
  it('refuses a bundle whose bytes on the hub were corrupted (sha256 mismatch)', async () => {
    const s = await servingV100();
    const blobPath = join(s.hub.dataDir, 'blobs', s.r110.sha256.slice(0, 2), s.r110.sha256);
    const bytes = await readFile(blobPath);
    expect(bytes.length).toBe(s.r110.bytes);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await writeFile(blobPath, bytes);
    await s.hub.api.deploy('pm', '1.1.0', DEVICE);
    // The document itself is genuine (accepted); the bundle it names is what is refused.
    await expectRefused(s, 'EF_AGENT_DOWNLOAD_SHA_MISMATCH', '1.0.0', 2);
  }, 120_000);

  it('refuses a tampered bundle even when a deploy-key-signed document names its sha256', async () => {
    const s = await servingV100();
    // A hub that was broken into: it can sign desired state, not bundles (the release key).
    const { files } = await readBundleArchive(v110);
    const model = Buffer.from(files.get('model.onnx') ?? Buffer.alloc(0));
    model[model.length - 16] = (model[model.length - 16] ?? 0) ^ 0x01;
    const tampered = join(bundleDir, `tampered-${Date.now()}.efb`);
    const written = await writeBundleArchive(
      tampered,
      [...files].map(([name, data]) => ({ name, data: name === 'model.onnx' ? model : data })),
    );
    const blobs = await BlobStore.open(s.hub.dataDir);
    await blobs.put(await readFile(tampered), written.archiveSha256);
    const doc = forgedDoc(s.r110, {
      models: [
        { name: 'pm', version: '1.1.0', sha256: written.archiveSha256, bytes: written.bytes },
      ],
    });
    await publishRetained(s.hub, JSON.stringify(sign(doc, trust.deploy.privateKey)));
    await expectRefused(s, 'EF_BUNDLE_DIGEST', '1.0.0', 1000);
  }, 120_000);

  it('refuses a replayed older desired state', async () => {
    const s = await servingV100();
    await s.hub.api.deploy('pm', '1.1.0', DEVICE);
    await waitForHealthy(s.hub, '1.1.0');
    const accepted = acceptedVersion(s.stateDir);
    expect(accepted).toBe(2);
    // The genuine, still unexpired document of version 1 (pm 1.0.0), sent again.
    await publishRetained(s.hub, s.firstEnvelope);
    await expectRefused(s, 'EF_PROTO_DESIRED_REPLAY', '1.1.0', accepted);
  }, 120_000);

  it('refuses an expired desired state', async () => {
    const s = await servingV100();
    const now = Date.now();
    const doc = forgedDoc(s.r110, {
      issuedAt: new Date(now - 2 * HOUR).toISOString(),
      expires: new Date(now - HOUR).toISOString(),
    });
    await publishRetained(s.hub, JSON.stringify(sign(doc, trust.deploy.privateKey)));
    await expectRefused(s, 'EF_PROTO_DESIRED_EXPIRED', '1.0.0', 1);
  }, 120_000);

  it('refuses a desired state signed by the release key (wrong role)', async () => {
    const s = await servingV100();
    const doc = forgedDoc(s.r110);
    await publishRetained(s.hub, JSON.stringify(sign(doc, trust.release.privateKey)));
    await expectRefused(s, 'EF_PROTO_KEY_ROLE', '1.0.0', 1);
  }, 120_000);

  it('refuses a desired state signed by a key the keyring does not list', async () => {
    const s = await servingV100();
    const doc = forgedDoc(s.r110);
    const stranger = generateKeyPair().privateKeyPem;
    await publishRetained(s.hub, JSON.stringify(sign(doc, stranger)));
    await expectRefused(s, 'EF_PROTO_KEY_UNKNOWN', '1.0.0', 1);
    // Not wedged: the hub's next genuine document (version 3, far below the forged 1000) installs.
    await s.hub.api.deploy('pm', '1.1.0', DEVICE);
    await waitForHealthy(s.hub, '1.1.0');
    expect((await predict(s.agent.info.apiUrl)).body.version).toBe('1.1.0');
    expect(acceptedVersion(s.stateDir)).toBe(3);
  }, 120_000);

  it("refuses another device's genuine desired state", async () => {
    const s = await servingV100();
    // Correctly signed by the deploy key, but for press-2: mix-and-match.
    const doc = forgedDoc(s.r110, { device: 'press-2' });
    await publishRetained(s.hub, JSON.stringify(sign(doc, trust.deploy.privateKey)));
    await expectRefused(s, 'EF_PROTO_DESIRED_DEVICE', '1.0.0', 1);
  }, 120_000);
});
