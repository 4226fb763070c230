import * as ort from 'onnxruntime-node';

import {
  makeAttrFloat,
  makeAttrInt,
  makeAttrInts,
  makeGraph,
  makeInitializer,
  makeModel,
  makeNode,
  makeTensorValueInfo,
  writeOnnxModel,
} from '../../src/onnx/index.js';
import type { OnnxModel, OnnxNode, OnnxTensor } from '../../src/onnx/index.js';
import { randomFloats } from '../onnx/helpers.js';

/** Hand-built graphs, each the smallest that exercises one rewrite. */

export function modelOf(
  nodes: OnnxNode[],
  inputShape: (number | string)[],
  outputs: string[],
  initializers: OnnxTensor[],
  opset = 17,
  extraOpsets: { domain: string; version: number }[] = [],
): OnnxModel {
  return makeModel(
    makeGraph({
      name: 'test',
      nodes,
      inputs: [makeTensorValueInfo('x', 'float32', inputShape)],
      outputs: outputs.map((name) => makeTensorValueInfo(name, 'float32', null)),
      initializers,
    }),
    { opsetImports: [{ domain: '', version: opset }, ...extraOpsets] },
  );
}

/** x[N,16] @ W[16,32] + b -> Relu -> y. */
export function matMulAddModel(opset = 17): OnnxModel {
  return modelOf(
    [
      makeNode('MatMul', ['x', 'W'], ['mm'], { name: 'mm' }),
      makeNode('Add', ['mm', 'b'], ['sum'], { name: 'add' }),
      makeNode('Relu', ['sum'], ['y'], { name: 'relu' }),
    ],
    ['N', 16],
    ['y'],
    [
      makeInitializer('W', randomFloats(16 * 32, 1), [16, 32]),
      makeInitializer('b', randomFloats(32, 2), [32]),
    ],
    opset,
  );
}

/** Gemm(x[N,16], B[32,16] transB=1, C[32]) with optional alpha. */
export function gemmModel(options: { alpha?: number; bias?: boolean } = {}): OnnxModel {
  const attributes = [makeAttrInt('transB', 1)];
  if (options.alpha !== undefined) attributes.push(makeAttrFloat('alpha', options.alpha));
  const withBias = options.bias ?? true;
  return modelOf(
    [makeNode('Gemm', withBias ? ['x', 'B', 'C'] : ['x', 'B'], ['y'], { name: 'fc', attributes })],
    ['N', 16],
    ['y'],
    [
      makeInitializer('B', randomFloats(32 * 16, 3), [32, 16]),
      ...(withBias ? [makeInitializer('C', randomFloats(32, 4), [32])] : []),
    ],
  );
}

/** Conv2d x[N,4,8,8] with W[8,4,3,3] (+ bias) -> Relu -> y. */
export function convModel(withBias: boolean): OnnxModel {
  return modelOf(
    [
      makeNode('Conv', withBias ? ['x', 'W', 'B'] : ['x', 'W'], ['c'], {
        name: 'conv',
        attributes: [makeAttrInts('kernel_shape', [3, 3]), makeAttrInts('pads', [1, 1, 1, 1])],
      }),
      makeNode('Relu', ['c'], ['y'], { name: 'relu' }),
    ],
    ['N', 4, 8, 8],
    ['y'],
    [
      makeInitializer('W', randomFloats(8 * 4 * 9, 5), [8, 4, 3, 3]),
      ...(withBias ? [makeInitializer('B', randomFloats(8, 6), [8])] : []),
    ],
  );
}

/** Two MatMuls reading the same W[16,16]: x @ W -> Relu -> @ W -> y. */
export function sharedWeightModel(): OnnxModel {
  return modelOf(
    [
      makeNode('MatMul', ['x', 'W'], ['h'], { name: 'mm1' }),
      makeNode('Relu', ['h'], ['r'], { name: 'relu' }),
      makeNode('MatMul', ['r', 'W'], ['y'], { name: 'mm2' }),
    ],
    ['N', 16],
    ['y'],
    [makeInitializer('W', randomFloats(16 * 16, 7), [16, 16])],
  );
}

/** MatMul followed by a com.microsoft Gelu (onnxruntime contrib op). */
export function otherDomainModel(): OnnxModel {
  return modelOf(
    [
      makeNode('MatMul', ['x', 'W'], ['h'], { name: 'mm' }),
      makeNode('Gelu', ['h'], ['y'], { name: 'gelu', domain: 'com.microsoft' }),
    ],
    ['N', 16],
    ['y'],
    [makeInitializer('W', randomFloats(16 * 32, 8), [16, 32])],
    17,
    [{ domain: 'com.microsoft', version: 1 }],
  );
}

/** Only Relu: no weight at all. */
export function noWeightModel(): OnnxModel {
  return modelOf([makeNode('Relu', ['x'], ['y'], { name: 'relu' })], ['N', 4], ['y'], []);
}

/** Seeded float inputs in [-1, 1). */
export function feedsFor(
  shape: number[],
  seed = 11,
): Record<string, { data: Float32Array; dims: number[] }> {
  const count = shape.reduce((a, b) => a * b, 1);
  return { x: { data: randomFloats(count, seed), dims: shape } };
}

/** Runs a model on one feed and returns its first output. */
export async function runOnce(
  model: OnnxModel,
  feed: Record<string, { data: Float32Array; dims: number[] }>,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(writeOnnxModel(model));
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feed))
      feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const out = await session.run(feeds);
    return (out[session.outputNames[0] as string] as ort.Tensor).data as Float32Array;
  } finally {
    await session.release();
  }
}
