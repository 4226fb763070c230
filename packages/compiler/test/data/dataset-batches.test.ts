import path from 'node:path';

import {
  preprocessTabular,
  type ImagePreprocessSpec,
  type TabularPreprocessSpec,
} from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { datasetBatches, type DatasetBatch } from '../../src/data/dataset-batches.js';
import type { Dataset } from '../../src/data/dataset-types.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import {
  DATA,
  TempDir,
  TINY_PNG,
  VIBRATION_SPEC,
  expectDataError,
  readTabularSpec,
} from './helpers.js';

async function collect(batches: AsyncIterable<DatasetBatch>): Promise<DatasetBatch[]> {
  const out: DatasetBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

const IMAGE_SPEC: ImagePreprocessSpec = {
  kind: 'image',
  input: 'input',
  width: 64,
  height: 64,
  fit: 'fill',
  channels: 3,
  layout: 'nchw',
  mean: [0.6128, 0.6013, 0.5843],
  std: [0.2225, 0.2245, 0.2312],
};

let tmp: TempDir;
beforeAll(async () => {
  tmp = await TempDir.create();
});
afterAll(async () => {
  await tmp.remove();
});

describe('datasetBatches', () => {
  it('batches pm rows through the runtime preprocessing, last batch partial', async () => {
    const spec = await readTabularSpec('pm');
    const data = await loadDataset(path.join(DATA, 'pm', 'calibration.csv'), {
      task: 'classification',
      features: spec.features,
    });
    const batches = await collect(
      datasetBatches(data, { preprocess: spec, inputShape: ['batch', 8], batchSize: 300 }),
    );
    expect(batches.map((b) => b.tensor.dims)).toEqual([
      [300, 8],
      [300, 8],
      [300, 8],
      [100, 8],
    ]);
    expect(batches.map((b) => b.offset)).toEqual([0, 300, 600, 900]);
    const tabular = data as Extract<Dataset, { kind: 'tabular' }>;
    // Bit-identical to calling the runtime directly: scaling is defined once, there.
    const whole = preprocessTabular(spec, tabular.rows);
    const joined = new Float32Array(batches.flatMap((b) => [...b.tensor.data]));
    expect(joined).toEqual(whole.data);
    expect(batches.flatMap((b) => b.labels)).toEqual(tabular.labels);
    expect(batches[0]!.feeds).toEqual({ input: batches[0]!.tensor });
  });

  it('imputes the house data set missing cells with the spec values', async () => {
    const spec = await readTabularSpec('house');
    const data = await loadDataset(path.join(DATA, 'house', 'eval.csv'), {
      task: 'regression',
      features: spec.features,
    });
    const batches = await collect(
      datasetBatches(data, { preprocess: spec, inputShape: ['batch', 5] }),
    );
    const values = batches.flatMap((b) => [...b.tensor.data]);
    expect(values).toHaveLength(600 * 5);
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('stacks JSONL samples into [n, 1, 512]', async () => {
    const data = await loadDataset(path.join(DATA, 'vibration', 'eval.jsonl'), {
      task: 'classification',
    });
    const batches = await collect(
      datasetBatches(data, {
        preprocess: VIBRATION_SPEC,
        inputShape: ['batch', 1, 512],
        batchSize: 100,
      }),
    );
    expect(batches.map((b) => b.tensor.dims[0])).toEqual([100, 100, 100, 20]);
    expect(batches[0]!.tensor.dims).toEqual([100, 1, 512]);
  });

  it('reads and preprocesses images one batch at a time', async () => {
    const data = await loadDataset(path.join(DATA, 'retail', 'eval'), {
      task: 'classification',
      maxRows: 8,
    });
    const batches = await collect(
      datasetBatches(data, {
        preprocess: IMAGE_SPEC,
        inputShape: ['batch', 3, 64, 64],
        batchSize: 5,
      }),
    );
    expect(batches.map((b) => b.tensor.dims)).toEqual([
      [5, 3, 64, 64],
      [3, 3, 64, 64],
    ]);
    expect(batches.flatMap((b) => b.labels)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('uses a fixed model batch dim as the batch size', async () => {
    const data = await loadDataset(path.join(DATA, 'vibration', 'eval.jsonl'), {
      task: 'classification',
      maxRows: 3,
    });
    const batches = await collect(
      datasetBatches(data, { preprocess: VIBRATION_SPEC, inputShape: [1, 1, 512] }),
    );
    expect(batches).toHaveLength(3);
  });
});

describe('rejects data that does not fit the model in datasetBatches', () => {
  it('a CSV with an image spec (EF_COMPILE_DATA_KIND_MISMATCH)', async () => {
    const file = path.join(DATA, 'pm', 'calibration.csv');
    const data = await loadDataset(file, { task: 'classification' });
    await expectDataError(
      collect(datasetBatches(data, { preprocess: IMAGE_SPEC, inputShape: ['batch', 3, 64, 64] })),
      'EF_COMPILE_DATA_KIND_MISMATCH',
      { file },
    );
  });

  it('CSV columns that are not the spec features (EF_COMPILE_DATA_COLUMNS)', async () => {
    const file = path.join(DATA, 'house', 'eval.csv');
    const data = await loadDataset(file, { task: 'regression' });
    await expectDataError(
      collect(
        datasetBatches(data, { preprocess: await readTabularSpec('pm'), inputShape: ['batch', 8] }),
      ),
      'EF_COMPILE_DATA_COLUMNS',
      { file, line: 1 },
    );
  });

  it('more CSV columns than the model input takes (EF_COMPILE_DATA_COLUMNS)', async () => {
    const spec = await readTabularSpec('pm');
    const file = path.join(DATA, 'pm', 'eval.csv');
    const data = await loadDataset(file, { task: 'classification', maxRows: 4 });
    await expectDataError(
      collect(datasetBatches(data, { preprocess: spec, inputShape: ['batch', 7] })),
      'EF_COMPILE_DATA_COLUMNS',
      { file, line: 1 },
    );
  });

  it('a missing value that the spec does not impute (EF_COMPILE_DATA_VALUE)', async () => {
    const file = path.join(DATA, 'house', 'eval.csv');
    const data = await loadDataset(file, { task: 'regression' }); // loaded without the spec
    const spec: TabularPreprocessSpec = await readTabularSpec('house');
    const strict = { ...spec, features: spec.features.map(({ impute: _impute, ...f }) => f) };
    // house/eval.csv line 21 is the first with an empty cell (area_m2).
    await expectDataError(
      collect(datasetBatches(data, { preprocess: strict, inputShape: ['batch', 5] })),
      'EF_COMPILE_DATA_VALUE',
      { file, line: 21, column: 1 },
    );
  });

  it('JSONL samples of another shape than the model input (EF_COMPILE_DATA_SHAPE)', async () => {
    const file = path.join(DATA, 'vibration', 'eval.jsonl');
    const data = await loadDataset(file, { task: 'classification', maxRows: 2 });
    await expectDataError(
      collect(datasetBatches(data, { preprocess: VIBRATION_SPEC, inputShape: ['batch', 1, 256] })),
      'EF_COMPILE_DATA_SHAPE',
      { file, line: 1 },
    );
  });

  it('a .png file that is not an image (EF_COMPILE_DATA_IMAGE)', async () => {
    await tmp.write('fake/cat/a.png', TINY_PNG);
    const file = await tmp.write('fake/dog/b.png', 'just text');
    const data = await loadDataset(path.join(tmp.root, 'fake'), { task: 'classification' });
    await expectDataError(
      collect(datasetBatches(data, { preprocess: IMAGE_SPEC, inputShape: ['batch', 3, 64, 64] })),
      'EF_COMPILE_DATA_IMAGE',
      { file },
    );
  });

  it('a truncated PNG, with the runtime decode error as cause (EF_COMPILE_DATA_IMAGE)', async () => {
    const file = await tmp.write('cut/cat/a.png', TINY_PNG.subarray(0, 40));
    const data = await loadDataset(path.join(tmp.root, 'cut'), { task: 'classification' });
    const err = await expectDataError(
      collect(datasetBatches(data, { preprocess: IMAGE_SPEC, inputShape: ['batch', 3, 64, 64] })),
      'EF_COMPILE_DATA_IMAGE',
      { file },
    );
    expect((err.cause as { code?: string }).code).toBe('EF_RUNTIME_IMAGE_DECODE');
  });

  it('a data count that a fixed batch dim does not divide (EF_COMPILE_DATA_SHAPE)', async () => {
    const file = path.join(DATA, 'vibration', 'eval.jsonl');
    const data = await loadDataset(file, { task: 'classification', maxRows: 3 });
    await expectDataError(
      collect(datasetBatches(data, { preprocess: VIBRATION_SPEC, inputShape: [2, 1, 512] })),
      'EF_COMPILE_DATA_SHAPE',
      { file },
    );
  });
});
