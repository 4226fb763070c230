import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canTransition } from '@edgefleet/protocol';
import type { DeviceDeploymentState } from '@edgefleet/protocol';
import { makeTrust } from '../../../../test/helpers/trust-fixture.js';
import type { TrustFixture } from '../../../../test/helpers/trust-fixture.js';
import {
  ConvergeFixture,
  buildBundles,
  installHealthy,
  modelOf,
  waitFor,
} from './helpers/converge-fixture.js';
import type { BundleFile } from './helpers/converge-fixture.js';

describe('Converger installs', () => {
  let trust: TrustFixture;
  let buildDir: string;
  let b: Map<string, BundleFile>;
  let v100: BundleFile;
  let v110: BundleFile;
  let v120: BundleFile;
  let fx: ConvergeFixture;

  beforeAll(async () => {
    trust = makeTrust();
    buildDir = mkdtempSync(join(tmpdir(), 'ef-bundles-'));
    b = await buildBundles(trust, buildDir, ['1.0.0', '1.1.0', '1.2.0']);
    [v100, v110, v120] = [b.get('1.0.0')!, b.get('1.1.0')!, b.get('1.2.0')!];
  });
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  beforeEach(async () => {
    fx = await ConvergeFixture.start(trust, b.values());
  });
  afterEach(async () => {
    await fx.close();
  });

  function pointer(name = 'pm') {
    const path = join(fx.stateDir, 'current', `${name}.json`);
    return existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as {
          sha256: string;
          version: string;
          previous?: { sha256: string };
        })
      : undefined;
  }

  it('installs a desired model: pointer written, statuses pending -> downloading -> verified -> installed -> healthy', async () => {
    const converger = fx.converger();
    await converger.start();
    await installHealthy(fx, 1, v100);
    expect(fx.reports.statesOf('1:pm')).toEqual([
      'pending',
      'downloading',
      'verified',
      'installed',
      'healthy',
    ]);
    const statuses = fx.reports.statuses().filter((s) => s.executionId === '1:pm');
    let from: DeviceDeploymentState | undefined;
    for (const s of statuses) {
      if (from)
        expect(canTransition(from, s.state as DeviceDeploymentState), `${from} -> ${s.state}`).toBe(
          true,
        );
      from = s.state as DeviceDeploymentState;
      expect(s).toMatchObject({
        desiredVersion: 1,
        model: 'pm',
        version: '1.0.0',
        sha256: v100.sha256,
      });
    }
    const progress = statuses.filter((s) => s.progress).map((s) => s.progress);
    expect(progress.at(-1)).toEqual({ bytes: v100.bytes.length, total: v100.bytes.length });
    expect(pointer()).toMatchObject({ sha256: v100.sha256, version: '1.0.0' });
    expect(fx.host.versionOf('pm')).toBe('1.0.0');
    expect(existsSync(join(fx.stateDir, 'bundles', v100.sha256, 'manifest.json'))).toBe(true);
    // The downloaded archive is gone once extracted; nothing half-done is left.
    expect(readdirSync(join(fx.stateDir, 'downloads'))).toEqual([]);
    const status = await converger.status();
    expect(status.desiredVersion).toBe(1);
    expect(status.executions[0]).toMatchObject({ executionId: '1:pm', step: 'healthy' });
  });

  it('upgrades, keeps the previous bundle, and rolls back a fleet with allowDowngrade', async () => {
    await fx.converger().start();
    await installHealthy(fx, 1, v100);
    await installHealthy(fx, 2, v110);
    expect(pointer()).toMatchObject({ sha256: v110.sha256, previous: { sha256: v100.sha256 } });
    await installHealthy(fx, 3, v120);
    // Only the current and previous bundles stay on disk.
    const kept = readdirSync(join(fx.stateDir, 'bundles')).sort();
    expect(kept).toEqual([v110.sha256, v120.sha256].sort());
    // Rolling back = a newer desired state pointing at the older bundle, signed with allowDowngrade.
    const blobRequests = fx.hub.requests.length;
    await fx.publish(fx.desired({ version: 4, models: [modelOf(v110)], allowDowngrade: true }));
    await fx.waitForState('4:pm', 'healthy');
    expect(fx.host.versionOf('pm')).toBe('1.1.0');
    expect(fx.hub.requests.length).toBe(blobRequests); // the kept bundle needed no download
    expect(fx.reports.statesOf('4:pm')).toEqual([
      'pending',
      'downloading',
      'verified',
      'installed',
      'healthy',
    ]);
  });

  it('a bundle failing its smoke tests ends failed and the old model keeps serving', async () => {
    await fx.converger().start();
    await installHealthy(fx, 1, v100);
    fx.host.failPrepare.add(v110.sha256);
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    const failed = await fx.waitForState('2:pm', 'failed');
    expect(failed.error?.code).toBe('EF_TEST_SMOKE');
    expect(fx.reports.statesOf('2:pm')).toEqual(['pending', 'downloading', 'verified', 'failed']);
    expect(fx.host.versionOf('pm')).toBe('1.0.0');
    expect(pointer()).toMatchObject({ sha256: v100.sha256 });
  });

  it('rolls back when the error rate during probation is too high', async () => {
    await fx.converger().start();
    await installHealthy(fx, 1, v100);
    fx.host.statsFor.set(v110.sha256, {
      requests: 100,
      errors: 40,
      latencyMs: { p50: 1, p95: 2, p99: 3 },
    });
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    const rolled = await fx.waitForState('2:pm', 'rolled-back');
    expect(rolled.error?.code).toBe('EF_AGENT_PROBATION_ERROR_RATE');
    expect(fx.reports.statesOf('2:pm')).toEqual([
      'pending',
      'downloading',
      'verified',
      'installed',
      'rolled-back',
    ]);
    expect(fx.host.versionOf('pm')).toBe('1.0.0');
    expect(pointer()).toMatchObject({ sha256: v100.sha256, previous: { sha256: v110.sha256 } });
  });

  it('rolling back a first install stops serving the model: nothing served before it', async () => {
    await fx.converger().start();
    fx.host.statsFor.set(v100.sha256, {
      requests: 100,
      errors: 90,
      latencyMs: { p50: 1, p95: 1, p99: 1 },
    });
    await fx.publish(fx.desired({ version: 1, models: [modelOf(v100)] }));
    const rolled = await fx.waitForState('1:pm', 'rolled-back');
    expect(rolled.error?.code).toBe('EF_AGENT_PROBATION_ERROR_RATE');
    expect(fx.host.list()).toEqual([]);
    expect(pointer()).toBeUndefined();
  });

  it('rolls back on worker crashes reported by the model host', async () => {
    await fx.converger().start();
    await installHealthy(fx, 1, v100);
    fx.host.statsFor.set(v110.sha256, {
      requests: 0,
      errors: 0,
      crashes: 1,
      latencyMs: { p50: 0, p95: 0, p99: 0 },
    });
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    const rolled = await fx.waitForState('2:pm', 'rolled-back');
    expect(rolled.error?.code).toBe('EF_AGENT_PROBATION_CRASHES');
    expect(fx.host.versionOf('pm')).toBe('1.0.0');
  });

  it('removes a model that is no longer desired', async () => {
    const converger = fx.converger();
    await converger.start();
    await installHealthy(fx, 1, v100);
    await fx.publish(fx.desired({ version: 2, models: [] }));
    await waitFor(() => pointer() === undefined, 10_000, 'pointer removed');
    expect(fx.host.calls).toContain('unload:pm');
    expect(fx.host.list()).toEqual([]);
    expect((await converger.status()).desiredVersion).toBe(2);
  });

  it('a newer desired state cancels an install in flight (EF_AGENT_SUPERSEDED) and installs the newer one', async () => {
    await fx.converger().start();
    await installHealthy(fx, 1, v100);
    fx.hub.policy = (req) => (req.sha256 === v110.sha256 ? 'drop' : 'answer');
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    await fx.waitForState('2:pm', 'downloading');
    await fx.publish(fx.desired({ version: 3, models: [modelOf(v120)] }));
    const superseded = await fx.waitForState('2:pm', 'failed');
    expect(superseded.error?.code).toBe('EF_AGENT_SUPERSEDED');
    await fx.waitForState('3:pm', 'healthy');
    expect(fx.host.versionOf('pm')).toBe('1.2.0');
    // The cancelled download's partial file was cleaned up.
    expect(readdirSync(join(fx.stateDir, 'downloads'))).toEqual([]);
  });

  it('downloads over HTTP when the model has a url and HTTP is allowed, else over MQTT', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.headers.authorization ?? ''} ${req.headers.range ?? ''}`);
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      const start = Number(m?.[1] ?? 0);
      const end = Math.min(Number(m?.[2] ?? v100.bytes.length - 1), v100.bytes.length - 1);
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${v100.bytes.length}` });
      res.end(v100.bytes.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      await fx
        .converger({
          download: {
            blockBytes: 4096,
            progressIntervalMs: 0,
            http: { username: 'dev-1', password: 'pw' },
          },
        })
        .start();
      await fx.publish(
        fx.desired({ version: 1, models: [modelOf(v100, { url: `http://127.0.0.1:${port}/b` })] }),
      );
      await fx.waitForState('1:pm', 'healthy');
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0]).toMatch(/^Basic /);
      expect(fx.hub.requests).toHaveLength(0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
