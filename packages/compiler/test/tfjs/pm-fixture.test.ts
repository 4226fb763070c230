import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { preprocessTabular } from '@edgefleet/runtime';
import { describe, expect, it } from 'vitest';

import { parseCsv } from '../../src/data/index.js';
import { writeOnnxModel } from '../../src/onnx/index.js';
import { convertLayersModel, readLayersModel } from '../../src/tfjs/index.js';
import { maxAbsDiff, runOnnx } from './tfjs-helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MODEL_DIR = path.join(ROOT, 'fixtures/models/pm-tfjs');

/** The committed TF.js-trained PM classifier converts and matches tfjs on the PM eval rows. */
describe('fixtures/models/pm-tfjs', () => {
  it('converts and matches tfjs on the standardized eval rows', async () => {
    await tf.setBackend('cpu');
    const { model, report } = convertLayersModel(path.join(MODEL_DIR, 'model.json'));
    expect(report.layers.map((l) => l.className)).toEqual(['Dense', 'Dense', 'Dense']);
    expect(report.unusedWeights).toEqual([]);
    expect(report.inputs).toEqual([{ name: 'input', shape: ['batch', 8] }]);
    // A static class count, which compile() uses to tell classification from regression.
    expect(report.outputs).toEqual([{ name: 'probabilities', shape: ['batch', 5] }]);

    const spec = JSON.parse(
      readFileSync(path.join(ROOT, 'fixtures/data/pm/preprocess.json'), 'utf8'),
    ) as Parameters<typeof preprocessTabular>[0];
    const [header, ...records] = parseCsv(
      readFileSync(path.join(ROOT, 'fixtures/data/pm/eval.csv'), 'utf8'),
    );
    const names = header?.fields ?? [];
    const rows = records.map((r) => Object.fromEntries(names.map((n, i) => [n, r.fields[i]])));
    expect(rows.length).toBe(3000);
    const input = preprocessTabular(spec, rows);
    // Real feature values, not imputed defaults: the standardized inputs vary across rows.
    expect(new Set(Array.from(input.data.subarray(0, 8 * 50))).size).toBeGreaterThan(100);

    // Reference: the same weights through TF.js (loaded from the artifacts we read).
    const { weights } = readLayersModel(path.join(MODEL_DIR, 'model.json'));
    const json = JSON.parse(
      readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8'),
    ) as tf.io.ModelJSON;
    const specs = json.weightsManifest.flatMap((g) => g.weights);
    const data = Buffer.concat(
      specs.map((s) => Buffer.from((weights.get(s.name)?.data ?? new Float32Array()).buffer)),
    );
    const tfModel = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      }),
    );
    const x = tf.tensor(input.data, input.dims);
    const expected = (tfModel.predict(x) as tf.Tensor).dataSync();
    const [actual] = await runOnnx(writeOnnxModel(model), {
      input: { data: input.data, dims: [...input.dims] },
    });
    expect(actual?.dims).toEqual([input.dims[0], 5]);
    expect(maxAbsDiff(actual?.data ?? [], expected)).toBeLessThanOrEqual(1e-5);
    // Same predicted class on every row.
    const argmax = (d: ArrayLike<number>, i: number): number => {
      let best = 0;
      for (let k = 1; k < 5; k++)
        if ((d[i * 5 + k] as number) > (d[i * 5 + best] as number)) best = k;
      return best;
    };
    for (let i = 0; i < (input.dims[0] as number); i++)
      expect(argmax(actual?.data ?? [], i)).toBe(argmax(expected, i));
  });
});
