/**
 * Real signed bundles, compiled from the fixtures and extracted as the installer would, for the
 * inference and local-API tests.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { compile } from '@edgefleet/compiler';
import type { SmokeTest } from '@edgefleet/protocol';
import { extractVerifiedBundle } from '@edgefleet/runtime';

import type { InstalledBundle } from '../../src/inference/index.js';
import { buildPmBundle, fixture, makeTrust } from '../../../../test/helpers/trust-fixture.js';

export { fixture };

const trust = makeTrust();

async function install(efb: string, dest: string): Promise<InstalledBundle> {
  const extracted = await extractVerifiedBundle(efb, dest, { keyring: trust.keyring });
  return {
    name: extracted.manifest.name,
    version: extracted.manifest.version,
    sha256: extracted.archiveSha256,
    dir: extracted.dir,
    manifest: extracted.manifest,
  };
}

/**
 * The fixture predictive-maintenance model compiled (no quantization) and extracted under `dir`.
 *
 * @example
 * const pm = await installedPmBundle(tmp, '1.0.0');
 */
export async function installedPmBundle(dir: string, version = '1.0.0'): Promise<InstalledBundle> {
  const efb = await buildPmBundle(dir, trust.release.privateKey, { version });
  return install(efb, join(dir, `bundle-pm-${version}`));
}

/** The fixture retail image CNN (64x64 RGB, 4 labelled classes) compiled and extracted. */
export async function installedRetailBundle(dir: string): Promise<InstalledBundle> {
  const keyFile = join(dir, 'retail.release.key');
  await writeFile(keyFile, trust.release.privateKey, { mode: 0o600 });
  const result = await compile({
    model: fixture('models/retail-cnn.onnx'),
    data: fixture('data/retail/calibration'),
    eval: fixture('data/retail/eval'),
    preprocess: fixture('data/retail/preprocess.json'),
    releaseKey: keyFile,
    name: 'retail',
    version: '1.0.0',
    quantize: 'none',
    out: join(dir, 'retail.efb'),
  });
  return install(result.bundle.path, join(dir, 'bundle-retail'));
}

/**
 * The same bundle presented as another version whose first smoke test expects a value its
 * model cannot produce (the manifest in memory is what the host reads).
 */
export function withBrokenSmokeTest(bundle: InstalledBundle, version: string): InstalledBundle {
  const tests: SmokeTest[] = structuredClone(bundle.manifest.smokeTests);
  const first = Object.values(tests[0]!.expected)[0]!;
  first.data[0] = first.data[0]! + 1000;
  return {
    ...bundle,
    version,
    sha256: 'e'.repeat(64),
    manifest: { ...bundle.manifest, version, smokeTests: tests },
  };
}

/** Rows of the PM evaluation CSV in feature order (label column dropped). */
export function pmEvalRows(count: number): number[][] {
  const lines = readFileSync(fixture('data/pm/eval.csv'), 'utf8').trim().split('\n');
  return lines.slice(1, count + 1).map((line) => line.split(',').slice(0, 8).map(Number));
}

/** The PM feature names in the bundle's order. */
export function pmFeatureNames(bundle: InstalledBundle): string[] {
  const spec = bundle.manifest.preprocess;
  if (spec.kind !== 'tabular') throw new Error('not a tabular bundle');
  return spec.features.map((f) => f.name);
}

/** Encoded PNG images of the retail evaluation set, with their class folder. */
export function retailEvalImages(count: number): { label: string; bytes: Buffer }[] {
  const root = fixture('data/retail/eval');
  const out: { label: string; bytes: Buffer }[] = [];
  for (const label of readdirSync(root).sort()) {
    for (const file of readdirSync(join(root, label))
      .sort()
      .slice(0, Math.ceil(count / 4))) {
      out.push({ label, bytes: readFileSync(join(root, label, file)) });
    }
  }
  return out.slice(0, count);
}
