/**
 * A job with the real PM model: the fixture's evaluation CSV (which also has a `label`
 * column) arrives in two parts; the header is mapped to the bundle's features and every row is
 * predicted once, in order.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '@edgefleet/protocol';
import { ModelSession, openBundle, postprocess, preprocessTabular } from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPmBundle, fixture, makeTrust } from '../../../../test/helpers/trust-fixture.js';
import { type JobPredict, type JobRunner, startJobs } from '../../src/jobs/index.js';
import { recordingLogger, sinkLines } from './job-fixtures.js';

let dir: string;
let manifest: Manifest;
let session: ModelSession;
let runner: JobRunner | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-jobs-pm-'));
  const trust = makeTrust();
  const bundle = await openBundle(await buildPmBundle(dir, trust.release.privateKey), {
    keyring: trust.keyring,
  });
  manifest = bundle.manifest;
  session = await ModelSession.load(bundle.files.get('model.onnx') as Buffer);
});

afterAll(async () => {
  await runner?.stop();
  await session?.release();
  rmSync(dir, { recursive: true, force: true });
});

const predict: JobPredict = async (_model, request) => {
  if (manifest.preprocess.kind !== 'tabular') throw new Error('the PM bundle is tabular');
  const tensor = preprocessTabular(manifest.preprocess, request.instances);
  const out = await session.run({ [manifest.preprocess.input]: tensor });
  const results = postprocess(
    out[manifest.postprocess.output] as NonNullable<(typeof out)[string]>,
    {
      task: 'classification',
      ...(manifest.postprocess.labels ? { labels: manifest.postprocess.labels } : {}),
      outputIsProbabilities: manifest.postprocess.outputIsProbabilities ?? false,
    },
  );
  return {
    version: manifest.version,
    predictions: results.map((r) => ({ label: r.label, classIndex: r.classIndex })),
  };
};

describe('a CSV job with the real PM model', () => {
  it('predicts a growing evaluation log once per row', async () => {
    const lines = readFileSync(fixture('data/pm/eval.csv'), 'utf8').trimEnd().split('\n');
    const csv = join(dir, 'pm.csv');
    const out = join(dir, 'pm.jsonl');
    writeFileSync(csv, `${lines.slice(0, 1001).join('\n')}\n`);
    const features =
      manifest.preprocess.kind === 'tabular' ? manifest.preprocess.features.map((f) => f.name) : [];
    runner = startJobs(
      [
        {
          name: 'pm-eval',
          schedule: '0 0 1 1 *',
          model: 'pm',
          source: { kind: 'csv', path: csv },
          sink: { kind: 'jsonl', path: out },
        },
      ],
      predict,
      { stateDir: join(dir, 'state'), logger: recordingLogger(), features: () => features },
    );
    expect(await runner.runOnce('pm-eval')).toMatchObject({ predicted: 1000, malformed: 0 });
    appendFileSync(csv, `${lines.slice(1001).join('\n')}\n`);
    expect(await runner.runOnce('pm-eval')).toMatchObject({
      predicted: lines.length - 1001,
      malformed: 0,
    });
    const results = sinkLines(out);
    expect(results.map((r) => r['row'])).toEqual(
      Array.from({ length: lines.length - 1 }, (_, i) => i),
    );
    expect(results.every((r) => r['version'] === manifest.version)).toBe(true);
    // The model agrees with the labels on most rows (it was validated on this file).
    const header = (lines[0] as string).split(',');
    const labelAt = header.indexOf('label');
    const agree = results.filter(
      (r, i) =>
        (r['prediction'] as { classIndex: number }).classIndex ===
        Number((lines[i + 1] as string).split(',')[labelAt]),
    ).length;
    expect(agree / results.length).toBeGreaterThan(0.9);
  });
});
