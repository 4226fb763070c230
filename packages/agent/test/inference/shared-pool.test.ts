/**
 * Many model hosts on one shared worker pool (the fleet simulator's setting): independent
 * serving maps, sessions shared and counted by holder, crashes blamed on the hosts whose
 * requests were on the dead worker, and the simulated-latency knob.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { isEdgefleetError } from '@edgefleet/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createModelHost, createWorkerPool } from '../../src/inference/index.js';
import type {
  InferencePool,
  InstalledBundle,
  LocalModelHost,
  ModelHostOptions,
} from '../../src/inference/index.js';
import { installedPmBundle, pmEvalRows } from './installed-bundles.js';

let dir: string;
let pm: InstalledBundle;
let pm2: InstalledBundle;
const hosts: LocalModelHost[] = [];
const pools: InferencePool[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-shared-pool-'));
  pm = await installedPmBundle(dir, '1.0.0');
  pm2 = await installedPmBundle(dir, '1.1.0');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function pool(workers = 1): Promise<InferencePool> {
  const p = await createWorkerPool({ workers });
  pools.push(p);
  return p;
}

async function host(options: ModelHostOptions): Promise<LocalModelHost> {
  const h = await createModelHost(options);
  hosts.push(h);
  return h;
}

async function serve(h: LocalModelHost, bundle: InstalledBundle): Promise<void> {
  await h.activate(await h.prepare(bundle));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isEdgefleetError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a coded error');
}

async function poll<T>(check: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const row = (): number[] => pmEvalRows(1)[0]!;

describe('hosts sharing a pool', () => {
  it('serve different versions of the same model name independently', async () => {
    const shared = await pool(2);
    const a = await host({ pool: shared });
    const b = await host({ pool: shared });
    await serve(a, pm);
    await serve(b, pm2);
    expect(shared.stats()).toMatchObject({ workers: 2, sessions: 2, hosts: 2, crashes: 0 });
    const [fromA, fromB] = await Promise.all([
      a.predict('pm', { inputs: [row()] }),
      b.predict('pm', { inputs: [row()] }),
    ]);
    expect(fromA.version).toBe('1.0.0');
    expect(fromB.version).toBe('1.1.0');
    expect(a.stats('pm')?.requests).toBe(1);
    expect(b.stats('pm')?.requests).toBe(1);
    // A moves to 1.1.0: the 1.0.0 session has no holder left and is freed.
    await serve(a, pm2);
    expect(a.list().map((m) => m.version)).toEqual(['1.1.0']);
    expect(a.stats('pm')?.requests).toBe(0);
    expect(shared.stats().sessions).toBe(1);
    expect((await b.predict('pm', { inputs: [row()] })).version).toBe('1.1.0');
  });

  it('loads a bundle once for all its holders and frees it with the last one', async () => {
    const shared = await pool();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => host({ pool: shared })));
    await Promise.all([serve(a!, pm), serve(b!, pm), serve(c!, pm)]);
    expect(shared.stats()).toMatchObject({ sessions: 1, hosts: 3 });
    await a!.unload('pm');
    expect(shared.stats().sessions).toBe(1);
    expect(await codeOf(a!.predict('pm', { inputs: [row()] }))).toBe('EF_AGENT_MODEL_NOT_FOUND');
    expect((await b!.predict('pm', { inputs: [row()] })).version).toBe('1.0.0');
    // Closing a host drops its holds and leaves the pool to the others.
    await c!.close();
    expect(shared.stats()).toMatchObject({ sessions: 1, hosts: 2 });
    expect((await b!.predict('pm', { inputs: [row()] })).version).toBe('1.0.0');
    await b!.unload('pm');
    expect(shared.stats().sessions).toBe(0);
    // Loading again after the last release works (a fresh session, not a stale one).
    await serve(a!, pm);
    expect((await a!.predict('pm', { inputs: [row()] })).version).toBe('1.0.0');
    expect(shared.stats().sessions).toBe(1);
  });

  it('fails both hosts’ requests in flight on a crash, blames only them, and both recover', async () => {
    const shared = await pool(1);
    const crashed: Record<string, string[][]> = { a: [], b: [], idle: [] };
    const a = await host({ pool: shared, onCrash: (m) => crashed['a']!.push(m) });
    const b = await host({ pool: shared, onCrash: (m) => crashed['b']!.push(m) });
    const idle = await host({ pool: shared, onCrash: (m) => crashed['idle']!.push(m) });
    await Promise.all([serve(a, pm), serve(b, pm2), serve(idle, pm)]);
    await a.predict('pm', { inputs: [row()] });
    // The exit job goes out first in the worker's next message; these runs queue behind it.
    void a.killWorker(0, 'exit');
    const results = await Promise.allSettled([
      ...Array.from({ length: 4 }, () => a.predict('pm', { inputs: [row()] })),
      ...Array.from({ length: 4 }, () => b.predict('pm', { inputs: [row()] })),
    ]);
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok',
    );
    expect(codes).toEqual(Array.from({ length: 8 }, () => 'EF_AGENT_WORKER_CRASHED'));
    expect(crashed).toEqual({ a: [['pm']], b: [['pm']], idle: [[]] });
    expect([a.crashes('pm'), b.crashes('pm'), idle.crashes('pm')]).toEqual([1, 1, 0]);
    expect(a.stats('pm')).toMatchObject({ errors: 4, crashes: 1 });
    expect(b.stats('pm')).toMatchObject({ errors: 4, crashes: 1 });
    const [fromA, fromB, fromIdle] = await poll(
      () =>
        Promise.all([a, b, idle].map((h) => h.predict('pm', { inputs: [row()] }))).then((r) =>
          r.map((x) => x.version),
        ),
      'the replaced worker to serve every host',
    );
    expect([fromA, fromB, fromIdle]).toEqual(['1.0.0', '1.1.0', '1.0.0']);
    expect(shared.stats()).toMatchObject({ crashes: 1, sessions: 2, outstanding: 0 });
    expect(a.poolStats()).toMatchObject({ workers: 1, crashes: 1 });
  });

  it('answers closed and refused pools and pool options on a host with codes', async () => {
    const shared = await pool();
    expect(await codeOf(createModelHost({ pool: shared, workers: 2 }))).toBe(
      'EF_AGENT_HOST_OPTIONS',
    );
    expect(await codeOf(createModelHost({ pool: {} as InferencePool }))).toBe(
      'EF_AGENT_HOST_OPTIONS',
    );
    const a = await host({ pool: shared });
    await serve(a, pm);
    await shared.close();
    expect(await codeOf(a.predict('pm', { inputs: [row()] }))).toBe('EF_AGENT_HOST_CLOSED');
    expect(await codeOf(createModelHost({ pool: shared }))).toBe('EF_AGENT_HOST_CLOSED');
    expect(await codeOf(createWorkerPool({ workers: 0 }))).toBe('EF_AGENT_HOST_OPTIONS');
  });
});

describe('simulatedLatencyMs', () => {
  it('holds every answer that long and counts it in the latency stats', async () => {
    const shared = await pool();
    const slow = await host({ pool: shared, simulatedLatencyMs: 40 });
    await serve(slow, pm);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => slow.predict('pm', { inputs: [row()] })),
    );
    // Timers may fire up to a millisecond early; the bound below is about the knob, not speed.
    for (const answer of answers) expect(answer.latencyMs).toBeGreaterThanOrEqual(38);
    expect(slow.stats('pm')!.latencyMs.p50).toBeGreaterThanOrEqual(38);
    expect(await codeOf(createModelHost({ pool: shared, simulatedLatencyMs: -1 }))).toBe(
      'EF_AGENT_HOST_OPTIONS',
    );
  });
});
