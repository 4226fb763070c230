import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  preprocessImages,
  preprocessTabular,
  type ImagePreprocessSpec,
  type TabularPreprocessSpec,
} from '@edgefleet/runtime';

import { readOnnxModel } from '../../src/onnx/index.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import { simplifyModel } from '../../src/simplify/index.js';

/** Fixture models and their calibration/eval data, fed as tensors (the quantizer's own input). */

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', '..', '..', '..', 'fixtures');

/** A batch of model inputs. */
export type Batch = Record<string, { data: Float32Array; dims: number[] }>;

/** The fixture model `name` (e.g. 'pm-mlp'), simplified (BatchNorm folded) as the pipeline does. */
export function loadSimplified(name: string): OnnxModel {
  const model = readOnnxModel(
    new Uint8Array(readFileSync(join(FIXTURES, 'models', `${name}.onnx`))),
  );
  return simplifyModel(model).model;
}

function readCsv(path: string): { rows: number[][]; labels: number[] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const rows: number[][] = [];
  const labels: number[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map(Number);
    labels.push(cells.pop() as number);
    rows.push(cells);
  }
  return { rows, labels };
}

/** Standardized tabular rows of `dataset` ('pm' | 'house') split, in batches of `batchSize`. */
export function tabularBatches(
  dataset: 'pm' | 'house',
  split: 'calibration' | 'eval',
  batchSize = 100,
): { batches: Batch[]; labels: number[] } {
  return tabularCsvBatches(dataset, join(FIXTURES, 'data', dataset, `${split}.csv`), batchSize);
}

/** Standardized rows of the CSV at `csvPath` with `dataset`'s preprocess.json, in batches. */
export function tabularCsvBatches(
  dataset: 'pm' | 'house',
  csvPath: string,
  batchSize = 100,
): { batches: Batch[]; labels: number[] } {
  const dir = join(FIXTURES, 'data', dataset);
  const spec = JSON.parse(
    readFileSync(join(dir, 'preprocess.json'), 'utf8'),
  ) as TabularPreprocessSpec;
  const { rows, labels } = readCsv(csvPath);
  const batches: Batch[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const { data, dims } = preprocessTabular(spec, rows.slice(start, start + batchSize));
    batches.push({ [spec.input]: { data, dims: [...dims] } });
  }
  return { batches, labels };
}

/** Vibration windows ([N, 1, 512]) from the JSONL split. */
export function vibrationBatches(split: 'calibration' | 'eval', batchSize = 32): Batch[] {
  const lines = readFileSync(join(FIXTURES, 'data', 'vibration', `${split}.jsonl`), 'utf8')
    .trim()
    .split('\n');
  const samples = lines.map((line) => (JSON.parse(line) as { input: number[][] }).input.flat());
  const batches: Batch[] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const chunk = samples.slice(start, start + batchSize);
    const width = chunk[0]?.length ?? 0;
    batches.push({
      input: { data: Float32Array.from(chunk.flat()), dims: [chunk.length, 1, width] },
    });
  }
  return batches;
}

/** Retail images of a split, preprocessed to [N, 3, 64, 64]. */
export async function retailBatches(
  split: 'calibration' | 'eval',
  batchSize = 20,
): Promise<Batch[]> {
  const dir = join(FIXTURES, 'data', 'retail');
  const spec = JSON.parse(
    readFileSync(join(dir, 'preprocess.json'), 'utf8'),
  ) as ImagePreprocessSpec;
  const files: string[] = [];
  for (const label of readdirSync(join(dir, split)).sort()) {
    for (const file of readdirSync(join(dir, split, label)).sort())
      files.push(join(dir, split, label, file));
  }
  const batches: Batch[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const images = files
      .slice(start, start + batchSize)
      .map((f) => new Uint8Array(readFileSync(f)));
    const { data, dims } = await preprocessImages(spec, images);
    batches.push({ [spec.input]: { data, dims: [...dims] } });
  }
  return batches;
}
