import { mkdtempSync, rmSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { isEdgefleetError } from '@edgefleet/protocol';
import { ModelSession, preprocessTabular } from '@edgefleet/runtime';
import type { TabularPreprocessSpec } from '@edgefleet/runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createModelHost } from '../../src/inference/index.js';
import type {
  ClassPrediction,
  InstalledBundle,
  LocalModelHost,
  PredictionEvent,
} from '../../src/inference/index.js';
import {
  installedPmBundle,
  pmEvalRows,
  pmFeatureNames,
  withBrokenSmokeTest,
} from './installed-bundles.js';

let dir: string;
let pm: InstalledBundle;
let pm2: InstalledBundle;
const hosts: LocalModelHost[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-host-'));
  pm = await installedPmBundle(dir, '1.0.0');
  pm2 = await installedPmBundle(dir, '1.1.0');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function serving(bundle: InstalledBundle, options = {}): Promise<LocalModelHost> {
  const host = await createModelHost(options);
  hosts.push(host);
  await host.activate(await host.prepare(bundle));
  return host;
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

const spec = (b: InstalledBundle): TabularPreprocessSpec =>
  b.manifest.preprocess as TabularPreprocessSpec;

describe('predict', () => {
  it('equals a direct onnxruntime run on the same preprocessed rows (golden, 1e-6)', async () => {
    const host = await serving(pm);
    const rows = pmEvalRows(64);
    const direct = await ModelSession.load(join(pm.dir, pm.manifest.model.file));
    try {
      const tensor = preprocessTabular(spec(pm), rows);
      const expected = await direct.run({ input: tensor });
      const batch = await host.predict('pm', { inputs: rows });
      const single = await Promise.all(rows.map((row) => host.predict('pm', { inputs: [row] })));
      const logits = expected.logits!;
      const width = logits.dims[1]!;
      rows.forEach((_, r) => {
        const want = Array.from(logits.data as Float32Array).slice(r * width, (r + 1) * width);
        const fromBatch = batch.outputs.logits![r] as number[];
        const fromSingle = single[r]!.outputs.logits![0] as number[];
        want.forEach((v, i) => {
          expect(Math.abs(fromBatch[i]! - v)).toBeLessThanOrEqual(1e-6);
          expect(Math.abs(fromSingle[i]! - v)).toBeLessThanOrEqual(1e-6);
        });
        const top = batch.predictions[r] as ClassPrediction;
        expect(top.classIndex).toBe(want.indexOf(Math.max(...want)));
        expect(top.probability).toBe(top.scores[top.classIndex]);
      });
      expect(batch).toMatchObject({ model: 'pm', version: '1.0.0' });
      expect(batch.latencyMs).toBeGreaterThan(0);
    } finally {
      await direct.release();
    }
  });

  it('serves concurrent requests stacked or one by one with the same outputs (1e-6)', async () => {
    const stacked = await serving(pm, { workers: 1 });
    const alone = await serving(pm, { workers: 1, batching: false });
    const rows = pmEvalRows(48);
    const ask = (host: LocalModelHost) =>
      Promise.all(rows.map((row) => host.predict('pm', { inputs: [row] })));
    const [a, b] = [await ask(stacked), await ask(alone)];
    a.forEach((answer, r) => {
      const x = answer.outputs.logits![0] as number[];
      const y = b[r]!.outputs.logits![0] as number[];
      x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(1e-6));
      expect((answer.predictions[0] as ClassPrediction).classIndex).toBe(
        (b[r]!.predictions[0] as ClassPrediction).classIndex,
      );
    });
  });

  it('gives the same answer for instances by name and inputs in feature order', async () => {
    const host = await serving(pm);
    const names = pmFeatureNames(pm);
    const rows = pmEvalRows(10);
    // Keys in reverse order: the bundle's order decides, not the caller's.
    const instances = rows.map((row) =>
      Object.fromEntries(names.map((n, i) => [n, row[i]]).reverse()),
    );
    const a = await host.predict('pm', { inputs: rows });
    const b = await host.predict('pm', { instances });
    expect(b.outputs).toEqual(a.outputs);
    expect(b.predictions).toEqual(a.predictions);
  });

  it('imputes null values as the manifest says and hands raw rows to the drift hook', async () => {
    const events: PredictionEvent[] = [];
    const host = await serving(pm, { onPrediction: (e: PredictionEvent) => events.push(e) });
    const row = pmEvalRows(1)[0]!;
    const imputed = spec(pm).features.map((f) => f.impute ?? 0);
    const withNull = [...row];
    withNull[3] = null as unknown as number;
    const withImpute = [...row];
    withImpute[3] = imputed[3]!;
    const a = await host.predict('pm', { inputs: [withNull] });
    const b = await host.predict('pm', { inputs: [withImpute] });
    expect(a.outputs).toEqual(b.outputs);
    expect(events).toHaveLength(2);
    expect(events[0]!.rawRows![0]![3]).toBeNaN();
    expect(events[1]!.rawRows![0]).toEqual(withImpute);
    expect(events[0]!.input.dims).toEqual([1, 8]);
    expect(events[0]!).toMatchObject({ name: 'pm', version: '1.0.0', sha256: pm.sha256 });
  });

  it('answers every bad input with its code and counts it as rejected, not as an error', async () => {
    const host = await serving(pm, { maxRows: 16 });
    const row = pmEvalRows(1)[0]!;
    const cases: [unknown, string][] = [
      [null, 'EF_AGENT_REQUEST_INVALID'],
      [[row], 'EF_AGENT_REQUEST_INVALID'],
      [{}, 'EF_AGENT_REQUEST_INVALID'],
      [{ inputs: [row], instances: [] }, 'EF_AGENT_REQUEST_INVALID'],
      [{ input: [row] }, 'EF_AGENT_REQUEST_INVALID'],
      [{ inputs: 'rows' }, 'EF_AGENT_REQUEST_INVALID'],
      [{ inputs: [{ rpm: 1 }] }, 'EF_AGENT_REQUEST_INVALID'],
      [{ image: Buffer.from('x') }, 'EF_AGENT_REQUEST_INVALID'],
      [{ instances: [[1, 2]] }, 'EF_AGENT_REQUEST_INVALID'],
      [{ inputs: [] }, 'EF_AGENT_REQUEST_ROWS'],
      [{ inputs: Array.from({ length: 17 }, () => row) }, 'EF_AGENT_REQUEST_ROWS'],
      [{ inputs: [row.slice(1)] }, 'EF_RUNTIME_INPUT_SHAPE'],
      [{ inputs: [[...row, 1]] }, 'EF_RUNTIME_INPUT_SHAPE'],
      [{ inputs: [['abc', ...row.slice(1)]] }, 'EF_RUNTIME_INPUT_TYPE'],
      [{ inputs: [[true, ...row.slice(1)]] }, 'EF_RUNTIME_INPUT_TYPE'],
      [{ inputs: [[Infinity, ...row.slice(1)]] }, 'EF_RUNTIME_INPUT_NAN'],
      [{ inputs: [[[1], ...row.slice(1)]] }, 'EF_RUNTIME_INPUT_TYPE'],
      [
        {
          instances: [
            { ...Object.fromEntries(pmFeatureNames(pm).map((n) => [n, 1])), rpm: -Infinity },
          ],
        },
        'EF_RUNTIME_INPUT_NAN',
      ],
      [{ instances: [{ rpm_typo: 1 }] }, 'EF_AGENT_REQUEST_FEATURES'],
    ];
    for (const [request, code] of cases) {
      expect({ request, code: await codeOf(host.predict('pm', request)) }).toEqual({
        request,
        code,
      });
    }
    expect(await codeOf(host.predict('nope', { inputs: [row] }))).toBe('EF_AGENT_MODEL_NOT_FOUND');
    expect(host.stats('pm')).toMatchObject({
      requests: cases.length,
      errors: 0,
      rejected: cases.length,
    });
  });

  it('lists unknown features and names the model features in the error', async () => {
    const host = await serving(pm);
    const err = await host
      .predict('pm', { instances: [{ rpm: 1500, air_temp: 300 }] })
      .catch((e) => e);
    expect(err.code).toBe('EF_AGENT_REQUEST_FEATURES');
    expect(err.details.unknown).toEqual(['air_temp']);
    expect(err.details.features).toEqual(pmFeatureNames(pm));
  });

  it('refuses a request over the queue bound with EF_AGENT_BUSY and serves again after', async () => {
    const host = await serving(pm, { workers: 1, queueLimit: 1 });
    const row = pmEvalRows(1)[0]!;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => host.predict('pm', { inputs: [row] })),
    );
    const codes = results.map((r) =>
      r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code,
    );
    expect(codes.filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(codes.filter((c) => c === 'EF_AGENT_BUSY').length).toBeGreaterThanOrEqual(1);
    expect(new Set(codes)).toEqual(new Set(['ok', 'EF_AGENT_BUSY']));
    await expect(host.predict('pm', { inputs: [row] })).resolves.toMatchObject({ model: 'pm' });
    expect(host.stats('pm')!.errors).toBe(codes.filter((c) => c !== 'ok').length);
  });
});

describe('prepare and activate', () => {
  it('refuses a bundle whose smoke test fails and keeps the old model serving', async () => {
    const host = await serving(pm);
    const broken = withBrokenSmokeTest(pm, '1.0.1');
    const err = await host.prepare(broken).catch((e) => e);
    expect(err.code).toBe('EF_AGENT_SMOKE_TEST');
    expect(err.details).toMatchObject({ test: 0, output: 'logits', index: 0, version: '1.0.1' });
    expect(err.details.maxAbsError).toBeGreaterThan(900);
    expect(host.list()).toEqual([
      { name: 'pm', version: '1.0.0', sha256: pm.sha256, state: 'serving' },
    ]);
    await expect(host.predict('pm', { inputs: pmEvalRows(1) })).resolves.toMatchObject({
      version: '1.0.0',
    });
  });

  it('refuses a bundle whose model does not load and keeps the old model serving', async () => {
    const host = await serving(pm);
    const copy = join(dir, 'corrupt');
    await cp(pm.dir, copy, { recursive: true });
    await writeFile(join(copy, 'model.onnx'), 'not an onnx model');
    const corrupt = { ...pm, dir: copy, sha256: 'c'.repeat(64), version: '1.0.2' };
    corrupt.manifest = { ...pm.manifest, version: '1.0.2' };
    expect(await codeOf(host.prepare(corrupt))).toBe('EF_AGENT_MODEL_LOAD');
    await expect(host.predict('pm', { inputs: pmEvalRows(1) })).resolves.toMatchObject({
      version: '1.0.0',
    });
  });

  it('swaps versions during a stream of concurrent requests without losing one', async () => {
    const host = await serving(pm);
    const rows = pmEvalRows(4);
    const versions: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const clients = Array.from({ length: 16 }, async () => {
      for (let i = 0; !stop || i < 20; i++) {
        await host.predict('pm', { inputs: [rows[i % rows.length]!] }).then(
          (r) => versions.push(r.version),
          (e) => failures.push(e),
        );
      }
    });
    await poll(async () => (versions.length > 200 ? true : undefined), 'requests on 1.0.0');
    const next = await host.prepare(pm2);
    await host.activate(next);
    const at = versions.length;
    await poll(async () => (versions.length > at + 200 ? true : undefined), 'requests on 1.1.0');
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(versions[0]).toBe('1.0.0');
    expect(versions.at(-1)).toBe('1.1.0');
    // Once a request saw the new version, none after it saw the old one... per client order
    // is not global, but the old version must be gone from the tail.
    expect(versions.slice(-100).every((v) => v === '1.1.0')).toBe(true);
    expect(host.list()).toEqual([
      { name: 'pm', version: '1.1.0', sha256: pm2.sha256, state: 'serving' },
    ]);
    expect(host.stats('pm')).toMatchObject({ errors: 0 });
  });

  it('refuses to activate what it did not prepare, and discards without serving', async () => {
    const host = await serving(pm);
    expect(await codeOf(host.activate({ bundle: pm2 }))).toBe('EF_AGENT_MODEL_NOT_PREPARED');
    const prepared = await host.prepare(pm2);
    await host.discard(prepared);
    expect(await codeOf(host.activate(prepared))).toBe('EF_AGENT_MODEL_NOT_PREPARED');
    expect(host.list().map((m) => m.version)).toEqual(['1.0.0']);
  });

  it('shares one load between concurrent prepares of the same bundle', async () => {
    const host = await serving(pm);
    const [a, b] = await Promise.all([host.prepare(pm2), host.prepare(pm2)]);
    await host.activate(a);
    await host.discard(b);
    await expect(host.predict('pm', { inputs: pmEvalRows(1) })).resolves.toMatchObject({
      version: '1.1.0',
    });
  });

  it('unloads a model and refuses everything once closed', async () => {
    const host = await serving(pm);
    await host.unload('pm');
    expect(host.list()).toEqual([]);
    expect(host.stats('pm')).toBeUndefined();
    expect(await codeOf(host.predict('pm', { inputs: pmEvalRows(1) }))).toBe(
      'EF_AGENT_MODEL_NOT_FOUND',
    );
    await host.close();
    expect(await codeOf(host.predict('pm', { inputs: pmEvalRows(1) }))).toBe(
      'EF_AGENT_HOST_CLOSED',
    );
    expect(await codeOf(host.prepare(pm))).toBe('EF_AGENT_HOST_CLOSED');
  });

  it('refuses bad options with a code', async () => {
    for (const options of [
      { workers: 0 },
      { queueLimit: 1.5 },
      { maxRows: -1 },
      { intraOpThreads: 0 },
    ]) {
      expect(await codeOf(createModelHost(options))).toBe('EF_AGENT_HOST_OPTIONS');
    }
  });
});

describe('worker crashes', () => {
  it('fails the requests in flight on a dying worker with a code, counts it and recovers', async () => {
    const crashed: string[][] = [];
    const host = await serving(pm, {
      workers: 1,
      onCrash: (models: string[]) => crashed.push(models),
    });
    const row = pmEvalRows(1)[0]!;
    await host.predict('pm', { inputs: [row] });
    // The exit job goes out first in the worker's next message; these runs are queued behind it.
    void host.killWorker(0, 'exit');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => host.predict('pm', { inputs: [row] })),
    );
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok',
    );
    expect(codes).toEqual(Array.from({ length: 8 }, () => 'EF_AGENT_WORKER_CRASHED'));
    expect(crashed).toEqual([['pm']]);
    expect(host.crashes('pm')).toBe(1);
    expect(host.stats('pm')).toMatchObject({ errors: 8, crashes: 1 });
    const answer = await poll(() => host.predict('pm', { inputs: [row] }), 'a replaced worker');
    expect(answer.version).toBe('1.0.0');
    expect(host.poolStats()).toMatchObject({ workers: 1, crashes: 1, outstanding: 0 });
  });

  it('recovers from a worker terminated from outside while requests stream', async () => {
    const host = await serving(pm, { workers: 2 });
    const row = pmEvalRows(1)[0]!;
    const stream = Array.from({ length: 200 }, () => host.predict('pm', { inputs: [row] }));
    await host.killWorker(0, 'terminate');
    const results = await Promise.allSettled(stream);
    for (const r of results) {
      if (r.status === 'rejected')
        expect((r.reason as { code: string }).code).toBe('EF_AGENT_WORKER_CRASHED');
    }
    await poll(
      async () => (host.poolStats().crashes === 1 ? true : undefined),
      'the crash to be counted',
    );
    // Both slots serve again: with the replacement up, a burst spreads over two workers.
    const after = await poll(
      () => Promise.all(Array.from({ length: 50 }, () => host.predict('pm', { inputs: [row] }))),
      'the pool to recover',
    );
    expect(after).toHaveLength(50);
  });
});
