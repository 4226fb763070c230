/**
 * Power cuts at every journaled step: an install frozen by a hook is abandoned (as a killed
 * process would be), and a new converger with a fresh model host starts over the same state
 * folder. Afterwards the old or the new model serves, never none.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTrust } from '../../../../test/helpers/trust-fixture.js';
import type { TrustFixture } from '../../../../test/helpers/trust-fixture.js';
import type { ExecutionStep, ExecutionRecord } from '../../src/converge/execution-journal.js';
import type { InstallHooks } from '../../src/converge/installer.js';
import { readPartialRow } from '../../src/download/download-tables.js';
import { openAgentDb } from '../../src/state/agent-db.js';
import {
  ConvergeFixture,
  buildBundles,
  installHealthy,
  modelOf,
  waitFor,
} from './helpers/converge-fixture.js';
import type { BundleFile } from './helpers/converge-fixture.js';

/** A hook that freezes execution `2:pm` at `step`, and a promise for when it got there. */
function freezeAt(step: ExecutionStep): { hooks: InstallHooks; reached: Promise<ExecutionRecord> } {
  let reachedResolve: (e: ExecutionRecord) => void = () => undefined;
  const reached = new Promise<ExecutionRecord>((resolve) => (reachedResolve = resolve));
  return {
    hooks: {
      beforeStep: (s, e) => {
        if (s !== step || e.executionId !== '2:pm') return;
        reachedResolve(e);
        return new Promise<void>(() => undefined);
      },
    },
    reached,
  };
}

describe('Converger recovery after a power cut', () => {
  let trust: TrustFixture;
  let buildDir: string;
  let b: Map<string, BundleFile>;
  let v100: BundleFile;
  let v110: BundleFile;
  let fx: ConvergeFixture;

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
    await fx.close();
  });

  function pointerSha(): string | undefined {
    const path = join(fx.stateDir, 'current', 'pm.json');
    return existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as { sha256: string }).sha256
      : undefined;
  }

  /** Installs 1.0.0, then starts 1.1.0 and cuts the power at `step`. */
  async function cutAt(
    step: ExecutionStep,
    extra: Parameters<ConvergeFixture['converger']>[0] = {},
  ) {
    const freeze = freezeAt(step);
    const first = fx.converger({ hooks: freeze.hooks, ...extra });
    await first.start();
    await installHealthy(fx, 1, v100);
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    await freeze.reached;
    fx.crash(first);
  }

  for (const [step, servingAtStart] of [
    ['downloading', '1.0.0'],
    ['extracting', '1.0.0'],
    ['preparing', '1.0.0'],
    ['switching', '1.0.0'],
    ['activating', '1.1.0'],
  ] as const) {
    it(`a cut before "${step}" resumes and ends with the new model serving`, async () => {
      await cutAt(step);
      const host = fx.restartHost();
      const restored = await fx.converger().start();
      // Serving again before any broker message: the pointer's bundle (old or new), never none.
      expect(host.versionOf('pm')).toBe(servingAtStart);
      expect(restored.failed).toEqual([]);
      await fx.waitForState('2:pm', 'healthy');
      expect(host.versionOf('pm')).toBe('1.1.0');
      expect(pointerSha()).toBe(v110.sha256);
      expect(fx.reports.statesOf('2:pm')).toEqual([
        'pending',
        'downloading',
        'verified',
        'installed',
        'healthy',
      ]);
    });
  }

  it('a cut after the pointer was written but before the journal said so resumes from the pointer', async () => {
    await cutAt('activating');
    // Journal one step behind the pointer file: the state right after the atomic rename.
    const db = openAgentDb(join(fx.stateDir, 'agent.db'));
    db.prepare(
      `UPDATE converge_executions SET step = 'switching' WHERE execution_id = '2:pm'`,
    ).run();
    db.close();
    const host = fx.restartHost();
    await fx.converger().start();
    expect(host.versionOf('pm')).toBe('1.1.0');
    await fx.waitForState('2:pm', 'healthy');
    expect(host.calls.filter((c) => c === 'prepare:pm@1.1.0')).toHaveLength(1);
  });

  it('a cut during a rollback finishes the rollback', async () => {
    fx.host.statsFor.set(v110.sha256, {
      requests: 50,
      errors: 50,
      latencyMs: { p50: 1, p95: 1, p99: 1 },
    });
    await cutAt('rolling-back');
    expect(pointerSha()).toBe(v110.sha256);
    const host = fx.restartHost();
    await fx.converger().start();
    expect(host.versionOf('pm')).toBeDefined();
    const rolled = await fx.waitForState('2:pm', 'rolled-back');
    expect(rolled.error?.code).toBe('EF_AGENT_PROBATION_ERROR_RATE');
    expect(host.versionOf('pm')).toBe('1.0.0');
    expect(pointerSha()).toBe(v100.sha256);
  });

  /** 1.0.0 installed and healthy, then a converger whose probation outlasts the test. */
  async function longProbation() {
    const setup = fx.converger();
    await setup.start();
    await installHealthy(fx, 1, v100);
    await setup.stop();
    const converger = fx.converger({
      probation: { ms: 600_000, maxErrorRate: 0.1, maxCrashes: 0 },
    });
    await converger.start();
    return converger;
  }

  it('restarts during probation count: past the limit the new model is rolled back', async () => {
    const first = await longProbation();
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    await fx.waitForState('2:pm', 'installed');
    fx.crash(first);
    const host = fx.restartHost();
    await fx
      .converger({ probation: { ms: 60_000, maxErrorRate: 0.1, maxCrashes: 0, maxRestarts: 0 } })
      .start();
    const rolled = await fx.waitForState('2:pm', 'rolled-back');
    expect(rolled.error?.code).toBe('EF_AGENT_PROBATION_RESTARTS');
    expect(host.versionOf('pm')).toBe('1.0.0');
  });

  it('a restart within the limit continues probation to healthy', async () => {
    const first = await longProbation();
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    await fx.waitForState('2:pm', 'installed');
    fx.crash(first);
    const host = fx.restartHost();
    const second = fx.converger();
    await second.start();
    await fx.waitForState('2:pm', 'healthy');
    expect(host.versionOf('pm')).toBe('1.1.0');
    expect((await second.status()).executions[0]).toMatchObject({
      executionId: '2:pm',
      probationRestarts: 1,
    });
  });

  it('falls back to the previous bundle when the current one no longer loads at start', async () => {
    const first = fx.converger();
    await first.start();
    await installHealthy(fx, 1, v100);
    await installHealthy(fx, 2, v110);
    fx.crash(first);
    const host = fx.restartHost();
    host.failPrepare.add(v110.sha256);
    const restored = await fx.converger().start();
    expect(restored.restored).toEqual([
      { name: 'pm', version: '1.0.0', sha256: v100.sha256, fallback: true },
    ]);
    expect(host.versionOf('pm')).toBe('1.0.0');
    expect(pointerSha()).toBe(v100.sha256);
    const rolled = await fx.waitForState('2:pm', 'rolled-back');
    expect(rolled.error?.code).toBe('EF_AGENT_LOAD_FAILED');
  });

  it('serves the installed bundle with no broker and discards a half-extracted folder', async () => {
    const first = fx.converger();
    await first.start();
    await installHealthy(fx, 1, v100);
    fx.crash(first);
    const staging = join(fx.stateDir, 'bundles', '.staging-0123456789abcdef-xyz');
    mkdirSync(join(staging, 'bundle'), { recursive: true });
    writeFileSync(join(staging, 'bundle', 'model.onnx'), 'half');
    await fx.link.goOffline();
    const host = fx.restartHost();
    await fx.converger().start();
    expect(host.versionOf('pm')).toBe('1.0.0');
    expect(existsSync(staging)).toBe(false);
  });

  it('a download interrupted by a restart resumes and requests only the missing blocks', async () => {
    const blockBytes = 1024;
    const blocks = Math.ceil(v110.bytes.length / blockBytes);
    const first = fx.converger({ download: { blockBytes, window: 2, progressIntervalMs: 0 } });
    await first.start();
    await installHealthy(fx, 1, v100);
    let answeredFor110 = 0;
    fx.hub.policy = (req) => {
      if (req.sha256 !== v110.sha256) return 'answer';
      answeredFor110 += 1;
      return answeredFor110 <= 12 ? 'answer' : 'drop';
    };
    await fx.publish(fx.desired({ version: 2, models: [modelOf(v110)] }));
    await waitFor(
      () =>
        fx.reports
          .statuses()
          .find((s) => s.executionId === '2:pm' && s.progress?.bytes === 12 * blockBytes),
      15_000,
      '12 blocks written',
    );
    await first.stop(); // the agent shuts down mid-download
    // The 2 requests in flight (dropped) must have landed before counting starts.
    await waitFor(() => answeredFor110 === 14, 15_000, 'the in-flight requests');
    const db = openAgentDb(join(fx.stateDir, 'agent.db'));
    const marked = readPartialRow(db, v110.sha256)?.receivedBlocks ?? 0;
    db.close();
    expect(marked).toBe(12);
    fx.hub.requests.length = 0;
    fx.hub.policy = () => 'answer';
    fx.restartHost();
    await fx.converger({ download: { blockBytes, window: 2, progressIntervalMs: 0 } }).start();
    await fx.waitForState('2:pm', 'healthy');
    expect(fx.hub.requests.filter((r) => r.sha256 === v110.sha256)).toHaveLength(blocks - marked);
  });
});
