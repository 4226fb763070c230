/**
 * The must-show drift test: a real signed PM bundle, its baseline as the compiler
 * profiled it, and the fixture's evaluation data fed through the monitor in many windows.
 * Undrifted data must rarely raise drift (false-alarm rate measured); drifted data (air
 * temperature sensor offset +3 K, torque +3 Nm, product mix L/M/H 0.6/0.3/0.1 -> 0.4/0.3/0.3,
 * see fixtures/data/pm/meta.json) must raise it on the shifted features.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriftRecordSchema, type Manifest } from '@edgefleet/protocol';
import { ModelSession, openBundle, postprocess, preprocessTabular } from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPmBundle, fixture, makeTrust } from '../../../../test/helpers/trust-fixture.js';
import { DriftMonitor } from '../../src/drift/index.js';
import { MemorySink, readNumericCsv, seeded } from './drift-fixtures.js';

// Windows per split; EF_DRIFT_WINDOWS=1000 measures the rates more finely (about 10 s).
const WINDOWS = Number(process.env['EF_DRIFT_WINDOWS'] ?? 60);
const BATCH = 25;

interface Split {
  rows: number[][];
  predicted: number[];
}

let dir: string;
let manifest: Manifest;
const splits: Record<'eval' | 'drifted', Split> = {
  eval: { rows: [], predicted: [] },
  drifted: { rows: [], predicted: [] },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-drift-pm-'));
  const trust = makeTrust();
  const efb = await buildPmBundle(dir, trust.release.privateKey);
  const bundle = await openBundle(efb, { keyring: trust.keyring });
  manifest = bundle.manifest;
  const session = await ModelSession.load(bundle.files.get('model.onnx') as Buffer);
  try {
    for (const [key, file] of [
      ['eval', 'data/pm/eval.csv'],
      ['drifted', 'data/pm/eval-drifted.csv'],
    ] as const) {
      const { header, rows } = readNumericCsv(fixture(file));
      // The CSV has the label column too; the model's features are named in the manifest.
      const names =
        manifest.preprocess.kind === 'tabular'
          ? manifest.preprocess.features.map((f) => f.name)
          : [];
      const columns = names.map((n) => header.indexOf(n));
      const featureRows = rows.map((r) => columns.map((c) => r[c] as number));
      if (manifest.preprocess.kind !== 'tabular') throw new Error('the PM bundle is tabular');
      const tensor = preprocessTabular(manifest.preprocess, featureRows);
      const out = await session.run({ [manifest.preprocess.input]: tensor });
      const output = out[manifest.postprocess.output];
      if (output === undefined) throw new Error('no model output');
      splits[key].rows = featureRows;
      splits[key].predicted = postprocess(output, {
        task: 'classification',
        outputIsProbabilities: manifest.postprocess.outputIsProbabilities ?? false,
      }).map((r) => r.classIndex);
    }
  } finally {
    await session.release();
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The features meta.json says were shifted between the eval and eval-drifted splits: the air
 * temperature sensor offset, the torque shift and the product types whose share changed.
 */
function shiftedFeatures(): Set<string> {
  const meta = JSON.parse(readFileSync(fixture('data/pm/meta.json'), 'utf8')) as {
    splits: Record<string, { typeMix: number[]; airSensorOffsetK: number; torqueShiftNm: number }>;
  };
  const clean = meta.splits['eval'];
  const drifted = meta.splits['eval-drifted'];
  if (clean === undefined || drifted === undefined) throw new Error('meta.json lacks the splits');
  const out = new Set<string>();
  if (drifted.airSensorOffsetK !== clean.airSensorOffsetK) out.add('air_temp_k');
  if (drifted.torqueShiftNm !== clean.torqueShiftNm) out.add('torque_nm');
  ['type_L', 'type_M', 'type_H'].forEach((name, i) => {
    if (Math.abs((drifted.typeMix[i] ?? 0) - (clean.typeMix[i] ?? 0)) > 0.05) out.add(name);
  });
  return out;
}

/** Feeds `windows` full windows of rows sampled with replacement, in request-sized batches. */
function runWindows(split: Split, seed: number): Record<string, unknown>[] {
  const sink = new MemorySink();
  const monitor = new DriftMonitor({ reports: sink });
  monitor.track(manifest);
  const random = seeded(seed);
  const total = WINDOWS * manifest.baseline.windowSize;
  for (let done = 0; done < total; done += BATCH) {
    const rows: number[][] = [];
    const outputs: number[] = [];
    for (let i = 0; i < BATCH; i++) {
      const k = Math.floor(random() * split.rows.length);
      rows.push(split.rows[k] as number[]);
      outputs.push(split.predicted[k] as number);
    }
    monitor.observe(manifest.name, manifest.version, rows, outputs);
  }
  return sink.of('drift');
}

/** Share of windows in which each feature was over its threshold. */
function flagRates(records: Record<string, unknown>[]): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const f of manifest.baseline.features) rates[f.name] = 0;
  for (const r of records) {
    for (const name of r['driftedFeatures'] as string[])
      rates[name] = (rates[name] ?? 0) + 1 / records.length;
  }
  return Object.fromEntries(
    Object.entries(rates).map(([k, v]) => [k, Math.round(v * 1000) / 1000]),
  );
}

describe('drift on the PM fixture (real bundle, real baseline)', () => {
  it('raises drift on the shifted features and rarely on undrifted data', () => {
    expect(manifest.baseline.windowSize).toBeGreaterThanOrEqual(200);
    const clean = runWindows(splits.eval, 1);
    const drifted = runWindows(splits.drifted, 2);
    for (const records of [clean, drifted]) {
      expect(records).toHaveLength(WINDOWS);
      for (const r of records) {
        expect(DriftRecordSchema.safeParse(r).success).toBe(true);
        expect(r['count']).toBe(manifest.baseline.windowSize);
        expect(r['scores']).toBeDefined();
      }
    }
    const falseAlarm = clean.filter((r) => r['drifted'] === true).length / clean.length;
    const detection = drifted.filter((r) => r['drifted'] === true).length / drifted.length;
    const cleanFlags = flagRates(clean);
    const driftFlags = flagRates(drifted);
    console.log(
      `PM drift, ${WINDOWS} windows of ${manifest.baseline.windowSize} rows each: ` +
        `detection ${(detection * 100).toFixed(1)}%, false alarms ${(falseAlarm * 100).toFixed(1)}%; ` +
        `per-feature over-threshold rate, drifted ${JSON.stringify(driftFlags)}; undrifted ${JSON.stringify(cleanFlags)}; ` +
        `rule driftedShare ${manifest.baseline.rule.driftedShare}`,
    );
    expect(detection).toBeGreaterThanOrEqual(0.9);
    expect(falseAlarm).toBeLessThanOrEqual(0.05);

    // The shifted features are over threshold in (nearly) every drifted window...
    const shifted = shiftedFeatures();
    expect([...shifted].sort()).toEqual(['air_temp_k', 'torque_nm', 'type_H', 'type_L']);
    for (const name of shifted) expect(driftFlags[name], name).toBeGreaterThanOrEqual(0.9);
    // ...and the features flagged in most drifted windows are those, plus rpm, which the
    // fixture generator derives from torque (scripts/fixtures/pm-data.ts: rpm = f(torque)).
    const mostlyFlagged = Object.keys(driftFlags).filter((n) => (driftFlags[n] ?? 0) >= 0.5);
    expect(mostlyFlagged.sort()).toEqual([...shifted, 'rpm'].sort());
    // Unshifted features stay mostly quiet, and no feature is flagged in most clean windows.
    for (const name of ['type_M', 'process_temp_k', 'tool_wear_min']) {
      expect(driftFlags[name], name).toBeLessThan(0.5);
    }
    for (const [name, rate] of Object.entries(cleanFlags)) expect(rate, name).toBeLessThan(0.5);
  });
});
