import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ModelSession, preprocessTabular } from '@edgefleet/runtime';
import type { TabularPreprocessSpec } from '@edgefleet/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { runStacked } from '../../src/inference/batched-runs.js';
import type { InstalledBundle } from '../../src/inference/index.js';
import type { RunJob } from '../../src/inference/worker-messages.js';
import { installedPmBundle, pmEvalRows } from './installed-bundles.js';

let dir: string;
let pm: InstalledBundle;
let session: ModelSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-stack-'));
  pm = await installedPmBundle(dir);
  session = await ModelSession.load(join(pm.dir, pm.manifest.model.file), { intraOpThreads: 1 });
});

afterAll(async () => {
  await session?.release();
  rmSync(dir, { recursive: true, force: true });
});

const jobOf = (rows: number[][], id: number): RunJob => ({
  type: 'run',
  id,
  key: 'pm',
  feeds: { input: preprocessTabular(pm.manifest.preprocess as TabularPreprocessSpec, rows) },
});

it('stacks jobs of 1 and several rows into one run and splits outputs back (1e-6 of one-by-one)', async () => {
  const rows = pmEvalRows(12);
  const jobs = [jobOf(rows.slice(0, 1), 1), jobOf(rows.slice(1, 5), 2), jobOf(rows.slice(5), 3)];
  const stacked = await runStacked(session, jobs);
  expect(stacked).toHaveLength(3);
  for (const [j, job] of jobs.entries()) {
    const alone = await session.run(job.feeds);
    const got = stacked![j]!.logits!;
    expect(got.dims).toEqual(alone.logits!.dims);
    Array.from(alone.logits!.data as Float32Array).forEach((v, i) => {
      expect(Math.abs((got.data as Float32Array)[i]! - v)).toBeLessThanOrEqual(1e-6);
    });
  }
});

it('declines what it cannot stack so that jobs run one by one', async () => {
  const rows = pmEvalRows(2);
  expect(await runStacked(session, [jobOf(rows, 1)])).toBeUndefined();
  const wrongWidth: RunJob = {
    type: 'run',
    id: 2,
    key: 'pm',
    feeds: { input: { data: new Float32Array(7), dims: [1, 7] } },
  };
  expect(await runStacked(session, [jobOf(rows, 1), wrongWidth])).toBeUndefined();
  const wrongType: RunJob = {
    type: 'run',
    id: 3,
    key: 'pm',
    feeds: { input: { data: new Float64Array(8), dims: [1, 8] } },
  };
  expect(await runStacked(session, [jobOf(rows, 1), wrongType])).toBeUndefined();
});
