import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { findInitializer, isTopologicallySorted, opsetVersion } from '../../src/onnx/graph.js';
import { readOnnxModel, writeOnnxModel } from '../../src/onnx/onnx-model.js';
import { getModelIo } from '../../src/onnx/shape-info.js';
import { decodeTensor } from '../../src/onnx/tensor.js';
import { expectClose, runInOrt } from './helpers.js';

/**
 * Models exported by PyTorch 1.13 (torch.onnx.export, see fixtures/make-fixtures.py):
 * they come from protoc's C++ serializer, so byte-identical re-encoding proves
 * the schema, field order and int64 handling match the real thing.
 */

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface Expected {
  inputShape: number[];
  input: number[];
  outputShape: number[];
  output: number[];
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  Expected
>;

describe.each([
  ['mlp', 13, ['Gemm', 'Relu', 'Gemm']],
  ['mlp', 17, ['Gemm', 'Relu', 'Gemm']],
  ['conv-bn', 13, ['Conv', 'BatchNormalization', 'Relu']],
  ['conv-bn', 17, ['Conv', 'BatchNormalization', 'Relu']],
] as const)('PyTorch fixture %s opset %i', (name, opset, ops) => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, `${name}-opset${opset}.onnx`)));
  const reference = expected[name] as Expected;

  it('reads the expected graph', () => {
    const model = readOnnxModel(bytes);
    expect(model.producerName).toBe('pytorch');
    expect(opsetVersion(model)).toBe(opset);
    expect(model.graph.node.map((n) => n.opType)).toEqual(ops);
    expect(isTopologicallySorted(model.graph)).toBe(true);
    expect(model.$unknowns).toBeUndefined();
    const io = getModelIo(model);
    expect(io.inputs).toEqual([
      {
        name: 'input',
        kind: 'tensor',
        elementType: 'float32',
        shape: ['batch', ...reference.inputShape.slice(1)],
      },
    ]);
    expect(io.outputs[0]?.shape?.[0]).toBe('batch');
  });

  it('re-encodes byte for byte', () => {
    const model = readOnnxModel(bytes);
    const written = writeOnnxModel(model);
    expect(Buffer.from(written).equals(Buffer.from(bytes))).toBe(true);
    expect(readOnnxModel(written)).toEqual(model);
  });

  it('decodes its float initializers', () => {
    const model = readOnnxModel(bytes);
    const weightName = name === 'mlp' ? 'fc1.weight' : 'conv.weight';
    const weight = findInitializer(model.graph, weightName);
    if (weight === undefined) throw new Error(`no ${weightName}`);
    const decoded = decodeTensor(weight);
    expect(decoded.elementType).toBe('float32');
    expect(decoded.data.length).toBe(decoded.dims.reduce((a, b) => a * b, 1));
  });

  it('runs in onnxruntime with identical outputs before and after the round trip, matching PyTorch', async () => {
    const feed = {
      input: new ort.Tensor('float32', Float32Array.from(reference.input), reference.inputShape),
    };
    const original = await runInOrt(bytes, feed);
    const roundTripped = await runInOrt(writeOnnxModel(readOnnxModel(bytes)), feed);
    expect(roundTripped.output?.dims).toEqual(reference.outputShape);
    expect(roundTripped.output?.data).toEqual(original.output?.data);
    expectClose(roundTripped.output?.data as Float32Array, reference.output, 1e-5);
  });
});
