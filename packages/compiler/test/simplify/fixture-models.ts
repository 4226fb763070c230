import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { getModelIo, readOnnxModel } from '../../src/onnx/index.js';
import type { OnnxModel } from '../../src/onnx/index.js';

/** The committed fixture models the simplifier and fp16 converter are tested on. */

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_FIXTURES = join(HERE, '..', '..', '..', '..', 'fixtures', 'models');
const ONNX_FIXTURES = join(HERE, '..', 'onnx', 'fixtures');

/** A fixture: where it is, and whether it should contain foldable BatchNormalization. */
export interface FixtureModel {
  name: string;
  path: string;
  hasBatchNorm: boolean;
}

export const FIXTURE_MODELS: readonly FixtureModel[] = [
  { name: 'pm-mlp', path: join(REPO_FIXTURES, 'pm-mlp.onnx'), hasBatchNorm: false },
  { name: 'house-mlp', path: join(REPO_FIXTURES, 'house-mlp.onnx'), hasBatchNorm: false },
  { name: 'vibration-cnn', path: join(REPO_FIXTURES, 'vibration-cnn.onnx'), hasBatchNorm: true },
  // Exported in eval mode, PyTorch may already have folded its BatchNorms: not asserted.
  { name: 'retail-cnn', path: join(REPO_FIXTURES, 'retail-cnn.onnx'), hasBatchNorm: false },
  {
    name: 'conv-bn-opset13',
    path: join(ONNX_FIXTURES, 'conv-bn-opset13.onnx'),
    hasBatchNorm: true,
  },
  {
    name: 'conv-bn-opset17',
    path: join(ONNX_FIXTURES, 'conv-bn-opset17.onnx'),
    hasBatchNorm: true,
  },
  { name: 'mlp-opset13', path: join(ONNX_FIXTURES, 'mlp-opset13.onnx'), hasBatchNorm: false },
  { name: 'mlp-opset17', path: join(ONNX_FIXTURES, 'mlp-opset17.onnx'), hasBatchNorm: false },
];

/** True when the fixture file is present (the repo fixtures are written by another job). */
export function fixtureExists(fixture: FixtureModel): boolean {
  return existsSync(fixture.path);
}

/** The fixture's bytes and parsed model. */
export function loadFixture(fixture: FixtureModel): { bytes: Uint8Array; model: OnnxModel } {
  const bytes = new Uint8Array(readFileSync(fixture.path));
  return { bytes, model: readOnnxModel(bytes) };
}

/** Input shapes with every symbolic dimension (the batch) set to `batch`. */
export function inputShapes(model: OnnxModel, batch = 3): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const input of getModelIo(model).inputs) {
    shapes[input.name] = (input.shape ?? []).map((dim) => (typeof dim === 'number' ? dim : batch));
  }
  return shapes;
}
