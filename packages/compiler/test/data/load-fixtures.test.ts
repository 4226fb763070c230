import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { Dataset } from '../../src/data/dataset-types.js';
import { datasetSize, loadDataset } from '../../src/data/load-dataset.js';
import { DATA, readTabularSpec } from './helpers.js';

function counts(labels: readonly number[], classes: number): number[] {
  const out = new Array<number>(classes).fill(0);
  for (const l of labels) out[l]!++;
  return out;
}

function expectKind<K extends Dataset['kind']>(
  data: Dataset,
  kind: K,
): Extract<Dataset, { kind: K }> {
  expect(data.kind).toBe(kind);
  return data as Extract<Dataset, { kind: K }>;
}

describe('loadDataset on the committed fixtures', () => {
  it.each([
    ['train', 10000, [9598, 50, 103, 129, 120]],
    ['calibration', 1000, [954, 8, 11, 12, 15]],
    ['eval', 3000, [2859, 15, 44, 39, 43]],
    ['eval-drifted', 3000, [2873, 12, 45, 32, 38]],
  ] as const)(
    'pm/%s.csv: %i rows, the preprocess features, labels 0..4',
    async (split, rows, labelCounts) => {
      const spec = await readTabularSpec('pm');
      const data = expectKind(
        await loadDataset(path.join(DATA, 'pm', `${split}.csv`), {
          task: 'classification',
          features: spec.features,
          classCount: 5,
        }),
        'tabular',
      );
      expect(data.rows).toHaveLength(rows);
      expect(data.featureNames).toEqual(spec.features.map((f) => f.name));
      expect(data.featureNames).toEqual([
        'type_L',
        'type_M',
        'type_H',
        'air_temp_k',
        'process_temp_k',
        'rpm',
        'torque_nm',
        'tool_wear_min',
      ]);
      expect(counts(data.labels, 5)).toEqual(labelCounts);
      expect(data.rows[0]).toHaveLength(8);
      expect(data.lines[0]).toBe(2);
      expect(datasetSize(data)).toBe(rows);
    },
  );

  it('pm/eval.csv: the first row holds the file values', async () => {
    const data = expectKind(
      await loadDataset(path.join(DATA, 'pm', 'eval.csv'), { task: 'classification' }),
      'tabular',
    );
    expect(data.rows[0]).toEqual([0, 1, 0, 300.4, 308.7, 1988, 21.7, 87]);
    expect(data.labels.slice(0, 2)).toEqual([0, 0]);
  });

  it.each([
    ['train', 2000, 121],
    ['calibration', 300, 15],
    ['eval', 600, 33],
  ] as const)(
    'house/%s.csv: %i rows with %i missing cells kept as null',
    async (split, rows, missing) => {
      const spec = await readTabularSpec('house');
      const data = expectKind(
        await loadDataset(path.join(DATA, 'house', `${split}.csv`), {
          task: 'regression',
          features: spec.features,
        }),
        'tabular',
      );
      expect(data.rows).toHaveLength(rows);
      expect(data.featureNames).toEqual([
        'area_m2',
        'age_years',
        'loc_center',
        'loc_suburb',
        'loc_rural',
      ]);
      expect(data.rows.flat().filter((v) => v === null)).toHaveLength(missing);
      expect(data.labels.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
      // Regression labels are real numbers, not class indices.
      expect(data.labels.some((l) => !Number.isInteger(l))).toBe(true);
    },
  );

  it.each([
    ['train', 600],
    ['calibration', 160],
    ['eval', 320],
  ] as const)(
    'vibration/%s.jsonl: %i samples of shape [1, 512], 4 balanced classes',
    async (split, n) => {
      const data = expectKind(
        await loadDataset(path.join(DATA, 'vibration', `${split}.jsonl`), {
          task: 'classification',
          classCount: 4,
          sampleShape: [1, 512],
        }),
        'tensor',
      );
      expect(data.samples).toHaveLength(n);
      expect(data.sampleShape).toEqual([1, 512]);
      expect(counts(data.labels, 4)).toEqual([n / 4, n / 4, n / 4, n / 4]);
      expect(data.lines.slice(0, 3)).toEqual([1, 2, 3]);
    },
  );

  it.each([
    ['train', 120],
    ['calibration', 15],
    ['eval', 25],
  ] as const)(
    'retail/%s: 4 class folders in sorted order, %i images each',
    async (split, perClass) => {
      const data = expectKind(
        await loadDataset(path.join(DATA, 'retail', split), {
          task: 'classification',
          classCount: 4,
        }),
        'images',
      );
      expect(data.classes).toEqual(['apple', 'bottle', 'box', 'can']);
      expect(data.files).toHaveLength(4 * perClass);
      expect(
        counts(
          data.files.map((f) => f.label),
          4,
        ),
      ).toEqual([perClass, perClass, perClass, perClass]);
      expect(data.files[0]!.path).toBe(path.join(DATA, 'retail', split, 'apple', '000.png'));
      expect(data.files.every((f) => f.path.endsWith('.png'))).toBe(true);
    },
  );

  it('caps rows with maxRows: the first CSV rows, the first JSONL lines, images round-robin', async () => {
    const csv = await loadDataset(path.join(DATA, 'pm', 'eval.csv'), {
      task: 'classification',
      maxRows: 10,
    });
    expect(datasetSize(csv)).toBe(10);
    const jsonl = await loadDataset(path.join(DATA, 'vibration', 'eval.jsonl'), {
      task: 'classification',
      maxRows: 7,
    });
    expect(datasetSize(jsonl)).toBe(7);
    const images = expectKind(
      await loadDataset(path.join(DATA, 'retail', 'eval'), { task: 'classification', maxRows: 10 }),
      'images',
    );
    expect(
      counts(
        images.files.map((f) => f.label),
        4,
      ),
    ).toEqual([3, 3, 2, 2]);
  });

  it('maps image folders by the given class names', async () => {
    const data = expectKind(
      await loadDataset(path.join(DATA, 'retail', 'eval'), {
        task: 'classification',
        classNames: ['can', 'box', 'bottle', 'apple', 'other'],
      }),
      'images',
    );
    expect(data.classes).toEqual(['can', 'box', 'bottle', 'apple', 'other']);
    expect(data.files[0]!.label).toBe(3); // apple
    expect(data.files.at(-1)!.label).toBe(0); // can
  });
});
