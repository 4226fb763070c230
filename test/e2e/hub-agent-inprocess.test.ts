/**
 * The whole path in one process, with real parts: hub (embedded broker, SQLite, HTTP off),
 * agent (SQLite outbox, worker-thread onnxruntime, local HTTP API), a compiled signed bundle.
 * Publish, deploy, the agent converges and serves; the hub sees its status and health.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '@edgefleet/agent';
import type { RunningAgent } from '@edgefleet/agent';
import { startHub } from '@edgefleet/hub';
import type { RunningHub } from '@edgefleet/hub';
import { buildPmBundle, makeTrust } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

let dir: string;
let hub: RunningHub;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ef-e2e-'));
  const trust = makeTrust();
  await trust.writeTo(join(dir, 'keys'));
  hub = await startHub({
    dataDir: join(dir, 'hub'),
    host: '127.0.0.1',
    mqttPort: 0,
    http: false,
    keyringPath: join(dir, 'keys', 'keyring.json'),
    deployKeyPath: join(dir, 'keys', 'deploy.key'),
    logLevel: false,
  });
  const efb = await buildPmBundle(dir, trust.release.privateKey, { version: '1.0.0' });
  await hub.api.publishRelease(await readFile(efb));
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await hub?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hub and agent in one process', () => {
  it('a deployed release is installed, serves predictions and is reported healthy', async () => {
    const { provisioning } = await hub.api.enrollDevice('press-1', { site: 'a' });
    agent = await startAgent({
      config: provisioning,
      stateDir: join(dir, 'agent'),
      api: { port: 0, host: '127.0.0.1' },
      healthIntervalMs: 500,
      probation: { ms: 500, maxErrorRate: 0.5, maxCrashes: 1 },
      logLevel: false,
      workers: 1,
    });
    await hub.api.deploy('pm', '1.0.0', 'press-1');
    await waitFor(
      () => agent?.modelHost.list().some((m) => m.version === '1.0.0'),
      30_000,
      'agent serves pm@1.0.0',
    );
    const res = await fetch(`${agent.apiUrl}/v1/models/pm/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [[1, 0, 0, 300, 310, 1500, 40, 10]] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: string; predictions: unknown[] };
    expect(body.version).toBe('1.0.0');
    expect(body.predictions).toHaveLength(1);
    await waitFor(
      async () =>
        (await hub.api.getDevice('press-1'))?.deployments.some((d) => d.state === 'healthy'),
      30_000,
      'hub sees the deployment healthy',
    );
    await waitFor(
      async () => (await hub.api.getDevice('press-1'))?.health != null,
      30_000,
      'hub has health',
    );
    const view = await hub.api.getDevice('press-1');
    expect(view?.online).toBe(true);
    expect(view?.models.map((m) => m.version)).toContain('1.0.0');
  }, 90_000);
});
