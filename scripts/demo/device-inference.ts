import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKeyringEnvelope } from '@edgefleet/protocol';
import type { Manifest } from '@edgefleet/protocol';
import {
  ModelSession,
  WindowCounter,
  openBundle,
  postprocess,
  preprocessTabular,
  scoreWindow,
} from '@edgefleet/runtime';
import type { TabularPreprocessSpec } from '@edgefleet/runtime';
import type { Narrator } from './narrate.js';

const fixture = (p: string) => fileURLToPath(new URL(`../../fixtures/${p}`, import.meta.url));

async function readRows(csv: string): Promise<{ features: number[][]; labels: number[] }> {
  const lines = (await readFile(fixture(csv), 'utf8')).trim().split(/\r?\n/).slice(1);
  const rows = lines.map((l) => l.split(',').map(Number));
  return {
    features: rows.map((r) => r.slice(0, -1)),
    labels: rows.map((r) => r[r.length - 1] as number),
  };
}

/** Serves a site's rows through the bundle's model and counts them into drift windows. */
async function serveSite(session: ModelSession, manifest: Manifest, csv: string) {
  const spec = manifest.preprocess as TabularPreprocessSpec;
  const { features, labels } = await readRows(csv);
  const out = await session.run({ [spec.input]: preprocessTabular(spec, features) });
  const predicted = postprocess(out[manifest.postprocess.output]!, { task: 'classification' });
  const correct = predicted.filter((p, i) => p.classIndex === labels[i]).length;
  const windowSize = 250;
  const counter = new WindowCounter({ ...manifest.baseline, windowSize });
  let windows = 0;
  let drifted = 0;
  const flagged = new Map<string, number>();
  for (let start = 0; start + windowSize <= features.length; start += windowSize) {
    counter.reset();
    counter.addRows(
      features.slice(start, start + windowSize),
      predicted.slice(start, start + windowSize).map((p) => p.classIndex),
    );
    const score = scoreWindow(manifest.baseline, counter.snapshot());
    windows += 1;
    if (score.drifted) drifted += 1;
    for (const f of score.driftedFeatures) flagged.set(f, (flagged.get(f) ?? 0) + 1);
  }
  const top = [...flagged.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([f, c]) => `${f} ${c}/${windows}`);
  return { rows: features.length, accuracy: correct / features.length, windows, drifted, top };
}

/**
 * The device's side, offline: verify and open the bundle, serve predictions with its model and
 * preprocessing, and score drift windows against the baseline the compiler shipped.
 */
export async function deviceInference(n: Narrator, dir: string, bundlePath: string): Promise<void> {
  n.section('A device opens the bundle offline, serves predictions and watches drift');
  const keyring = parseKeyringEnvelope(await readFile(join(dir, 'keys', 'keyring.json')));
  const bundle = await openBundle(bundlePath, { keyring });
  n.info(
    `verified ${bundle.manifest.name}@${bundle.manifest.version}: ${bundle.manifest.smokeTests.length} smoke tests, baseline of ${bundle.manifest.baseline.features.length} features`,
  );
  const session = await ModelSession.load(bundle.files.get('model.onnx') as Buffer);
  try {
    const clean = await serveSite(session, bundle.manifest, 'data/pm/eval.csv');
    const shifted = await serveSite(session, bundle.manifest, 'data/pm/eval-drifted.csv');
    n.info(
      `site A (like training): accuracy ${(clean.accuracy * 100).toFixed(2)}%, ${clean.drifted}/${clean.windows} windows of 250 drifted${clean.top.length ? ` (${clean.top.join(', ')})` : ''}`,
    );
    n.info(
      `site B (recalibrated air sensor, heavier mix): accuracy ${(shifted.accuracy * 100).toFixed(2)}%, ${shifted.drifted}/${shifted.windows} windows drifted (${shifted.top.join(', ')})`,
    );
    n.expect(
      clean.accuracy > 0.95,
      'the shipped model is accurate where the data looks like its training data',
    );
    n.expect(
      shifted.drifted > clean.drifted,
      'the drifted site is flagged by the on-device drift windows',
    );
    n.info('The rollout gates (next issues) use exactly these windows to stop a release.');
  } finally {
    await session.release();
  }
}
