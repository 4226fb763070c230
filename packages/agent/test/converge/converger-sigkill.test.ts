/**
 * Real processes, real SIGKILL: a converger runs in a child process and is killed mid-download
 * or mid-install; a new converger over the same state folder resumes. The download resumes
 * (only blocks not marked are requested again) and afterwards the old or the new model serves.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTrust } from '../../../../test/helpers/trust-fixture.js';
import type { TrustFixture } from '../../../../test/helpers/trust-fixture.js';
import { readPartialRow } from '../../src/download/download-tables.js';
import { openAgentDb } from '../../src/state/agent-db.js';
import type { ChildConfig } from './helpers/converger-child.js';
import {
  ConvergeFixture,
  DEVICE,
  buildBundles,
  installHealthy,
  modelOf,
  waitFor,
} from './helpers/converge-fixture.js';
import type { BundleFile } from './helpers/converge-fixture.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./helpers/converger-child.ts', import.meta.url));

interface ChildRun {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<void>;
}

function spawnChild(config: ChildConfig): ChildRun {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, EF_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not ours
      }
    }
  });
  child.stderr?.on('data', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, lines, exited };
}

describe('Converger under SIGKILL', () => {
  let trust: TrustFixture;
  let buildDir: string;
  let b: Map<string, BundleFile>;
  let v100: BundleFile;
  let v110: BundleFile;
  let fx: ConvergeFixture;
  const children: ChildRun[] = [];

  beforeAll(async () => {
    trust = makeTrust();
    buildDir = mkdtempSync(join(tmpdir(), 'ef-bundles-'));
    b = await buildBundles(trust, buildDir, ['1.0.0', '1.1.0']);
    [v100, v110] = [b.get('1.0.0')!, b.get('1.1.0')!];
  });
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  beforeEach(async () => {
    fx = await ConvergeFixture.start(trust, b.values());
  });
  afterEach(async () => {
    for (const run of children.splice(0)) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
    await fx.close();
  });

  function childConfig(extra: Partial<ChildConfig> = {}): ChildConfig {
    return {
      brokerUrl: fx.hub.url,
      stateDir: fx.stateDir,
      deviceId: DEVICE,
      rootPublicKey: trust.rootPublicKeyBase64,
      blockBytes: 1024,
      probationMs: 600_000,
      ...extra,
    };
  }

  async function startChild(config: ChildConfig): Promise<ChildRun> {
    const run = spawnChild(config);
    children.push(run);
    await waitFor(() => run.lines.some((l) => l['event'] === 'started'), 30_000, 'child started');
    return run;
  }

  async function kill(run: ChildRun): Promise<void> {
    run.child.kill('SIGKILL');
    await run.exited;
  }

  function statusOf(run: ChildRun, executionId: string, state: string) {
    return run.lines.find((l) => {
      const r = l['record'] as { executionId?: string; state?: string } | undefined;
      return r?.executionId === executionId && r.state === state;
    });
  }

  it('killed mid-download, the next run requests only the blocks not marked on disk', async () => {
    const blocks = Math.ceil(v110.bytes.length / 1024);
    let answered = 0;
    fx.hub.policy = () => (++answered <= 14 ? 'answer' : 'drop');
    const run = await startChild(childConfig());
    await fx.publish(fx.desired({ version: 1, models: [modelOf(v110)] }));
    await waitFor(
      () =>
        run.lines.some(
          (l) =>
            ((l['record'] as { progress?: { bytes: number } })?.progress?.bytes ?? 0) >= 10 * 1024,
        ),
      30_000,
      'ten blocks written',
    );
    await kill(run);
    const firstRun = new Set(fx.hub.requests.map((r) => r.requestId.split('.')[0]));
    const db = openAgentDb(join(fx.stateDir, 'agent.db'));
    const marked = readPartialRow(db, v110.sha256)?.receivedBlocks ?? 0;
    db.close();
    expect(marked).toBeGreaterThanOrEqual(8); // the first fsync batch (8 blocks) made it
    expect(marked).toBeLessThan(blocks);
    fx.hub.policy = () => 'answer';
    await fx
      .converger({ download: { blockBytes: 1024, window: 2, progressIntervalMs: 0 } })
      .start();
    await fx.waitForState('1:pm', 'healthy');
    const secondRun = fx.hub.requests.filter((r) => !firstRun.has(r.requestId.split('.')[0]));
    expect(secondRun).toHaveLength(blocks - marked);
    expect(fx.host.versionOf('pm')).toBe('1.1.0');
  });

  for (const step of ['preparing', 'activating'] as const) {
    it(`killed while frozen before "${step}", the old or the new model serves and the install completes`, async () => {
      const setup = fx.converger();
      await setup.start();
      await installHealthy(fx, 1, v100);
      await setup.stop();
      const run = await startChild(childConfig({ freeze: { executionId: '2:pm', step } }));
      await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
      await waitFor(() => run.lines.some((l) => l['event'] === 'frozen'), 30_000, 'child frozen');
      await kill(run);
      const host = fx.restartHost();
      await fx.converger().start();
      expect(host.versionOf('pm')).toBe(step === 'activating' ? '1.1.0' : '1.0.0');
      await fx.waitForState('2:pm', 'healthy');
      expect(host.versionOf('pm')).toBe('1.1.0');
    });
  }

  it('killed at whatever step follows "verified", a restart serves a model and converges', async () => {
    const setup = fx.converger();
    await setup.start();
    await installHealthy(fx, 1, v100);
    await setup.stop();
    const run = await startChild(childConfig());
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    await waitFor(() => statusOf(run, '2:pm', 'verified'), 30_000, 'verified in the child');
    await kill(run);
    const host = fx.restartHost();
    await fx.converger().start();
    expect(['1.0.0', '1.1.0']).toContain(host.versionOf('pm'));
    await fx.waitForState('2:pm', 'healthy');
    expect(host.versionOf('pm')).toBe('1.1.0');
  });
});
