import { describe, expect, it } from 'vitest';

import {
  TensorDataType,
  decodeTensor,
  findInitializer,
  makeAttrFloats,
  makeAttrInt,
  makeAttrInts,
  makeAttrTensor,
  makeInitializer,
  makeNode,
  makeTensorValueInfo,
  encodeTensor,
} from '../../src/onnx/index.js';
import { simplifyModel } from '../../src/simplify/index.js';
import { randomFloats } from '../onnx/helpers.js';
import { compareModels, seededFeeds } from './ort-compare.js';
import { modelOf, opTypes } from './test-models.js';

/** Identity/Dropout removal, constant folding, dead code and other domains, checked against onnxruntime. */

const x4 = makeTensorValueInfo('x', 'float32', [2, 4]);

describe('removes pass-through nodes', () => {
  it('Identity feeding a graph output: the producer takes the output name', async () => {
    const original = modelOf(
      [
        makeNode('Relu', ['x'], ['r'], { name: 'relu' }),
        makeNode('Identity', ['r'], ['y'], { name: 'id' }),
        makeNode('Sigmoid', ['r'], ['z'], { name: 'sig' }),
      ],
      [x4],
      [makeTensorValueInfo('y', 'float32', [2, 4]), makeTensorValueInfo('z', 'float32', [2, 4])],
    );
    const { model, report } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Relu', 'Sigmoid']);
    expect(model.graph.node[0]?.output).toEqual(['y']);
    expect(model.graph.node[1]?.input).toEqual(['y']);
    expect(model.graph.output.map((v) => v.name)).toEqual(['y', 'z']);
    expect(report.removedNodes).toEqual([{ opType: 'Identity', count: 1 }]);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 200));
    expect(diffs.y?.diff).toBe(0);
    expect(diffs.z?.diff).toBe(0);
  });

  it('Identity and Dropout (unused mask, constant ratio) in the middle are bypassed', async () => {
    const original = modelOf(
      [
        makeNode('Identity', ['x'], ['a'], { name: 'id' }),
        makeNode('Dropout', ['a', 'ratio'], ['b', 'mask'], { name: 'drop' }),
        makeNode('Relu', ['b'], ['y'], { name: 'relu' }),
      ],
      [x4],
      [makeTensorValueInfo('y', 'float32', [2, 4])],
      [makeInitializer('ratio', new Float32Array([0.5]), [])],
    );
    const { model, report } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Relu']);
    expect(model.graph.node[0]?.input).toEqual(['x']);
    expect(model.graph.initializer).toEqual([]);
    expect(report.passThroughRemoved).toBe(2);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 201));
    expect(diffs.y?.diff).toBe(0);
  });
});

describe('folds constants', () => {
  it('a Constant -> Transpose -> Mul -> Add -> Reshape -> Unsqueeze -> Squeeze -> Cast chain', async () => {
    const c = randomFloats(8, 210);
    const original = modelOf(
      [
        makeNode('Constant', [], ['c'], {
          attributes: [makeAttrTensor('value', encodeTensor('', c, [4, 2]))],
        }),
        makeNode('Transpose', ['c'], ['ct'], { attributes: [makeAttrInts('perm', [1, 0])] }),
        makeNode('Constant', [], ['k'], { attributes: [makeAttrFloats('value_floats', [3])] }),
        makeNode('Mul', ['ct', 'k'], ['m']),
        makeNode('Sub', ['m', 'one'], ['s']),
        makeNode('Div', ['s', 'two'], ['d']),
        makeNode('Add', ['d', 'row'], ['a']),
        makeNode('Reshape', ['a', 'shape'], ['r']),
        makeNode('Unsqueeze', ['r', 'axes'], ['u']),
        makeNode('Squeeze', ['u', 'axes'], ['q']),
        makeNode('Cast', ['q'], ['q64'], {
          attributes: [makeAttrInt('to', TensorDataType.DOUBLE)],
        }),
        makeNode('Cast', ['q64'], ['q32'], {
          attributes: [makeAttrInt('to', TensorDataType.FLOAT)],
        }),
        makeNode('Add', ['x', 'q32'], ['y'], { name: 'live' }),
      ],
      [x4],
      [makeTensorValueInfo('y', 'float32', [2, 4])],
      [
        makeInitializer('one', new Float32Array([1]), [1]),
        makeInitializer('two', new Float32Array([2]), []),
        makeInitializer('row', randomFloats(4, 211), [4]),
        makeInitializer('shape', new BigInt64Array([2n, -1n]), [2]),
        makeInitializer('axes', new BigInt64Array([0n]), [1]),
      ],
    );
    const { model, report } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Add']);
    expect(report.constantsToInitializers).toBe(2);
    expect(report.constantFolded).toBe(10);
    expect(model.graph.initializer.map((t) => t.name)).toEqual(['q32']);
    const folded = decodeTensor(findInitializer(model.graph, 'q32')!);
    expect(folded.dims).toEqual([2, 4]);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 212));
    // Folding computes each op in float64 and rounds once to float32, like onnxruntime's kernels.
    expect(diffs.y?.diff).toBe(0);
  });

  it('int64 shape arithmetic (Shape -> Div -> Concat) folds exactly', async () => {
    const original = modelOf(
      [
        makeNode('Shape', ['w'], ['ws']),
        makeNode('Div', ['ws', 'two'], ['half']),
        makeNode('Concat', ['half', 'minus1'], ['shape'], { attributes: [makeAttrInt('axis', 0)] }),
        makeNode('Reshape', ['x', 'shape'], ['y']),
      ],
      [makeTensorValueInfo('x', 'float32', [2, 4])],
      [makeTensorValueInfo('y', 'float32', [2, 4])],
      [
        makeInitializer('w', new Float32Array(8), [4, 2]),
        makeInitializer('two', new BigInt64Array([2n, 2n]), [2]),
        makeInitializer('minus1', new BigInt64Array([-1n]), [1]),
      ],
    );
    const { model } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Reshape']);
    expect(
      Array.from(decodeTensor(findInitializer(model.graph, 'shape')!).data as BigInt64Array),
    ).toEqual([2n, 1n, -1n]);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 213));
    expect(diffs.y?.diff).toBe(0);
  });
});

describe('removes dead code', () => {
  it('drops nodes and initializers nothing reads', async () => {
    const original = modelOf(
      [
        makeNode('MatMul', ['x', 'unused_w'], ['dead1']),
        makeNode('Relu', ['dead1'], ['dead2']),
        makeNode('Relu', ['x'], ['y']),
      ],
      [x4],
      [makeTensorValueInfo('y', 'float32', [2, 4])],
      [
        makeInitializer('unused_w', randomFloats(16, 220), [4, 4]),
        makeInitializer('orphan', new Float32Array(3), [3]),
      ],
    );
    const { model, report } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Relu']);
    expect(report.deadNodesRemoved).toBe(2);
    expect(report.removedInitializers).toBe(2);
    expect(report.removedNodes).toEqual([
      { opType: 'Relu', count: 1 },
      { opType: 'MatMul', count: 1 },
    ]);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 221));
    expect(diffs.y?.diff).toBe(0);
  });
});

describe('other domains', () => {
  it('ai.onnx.ml and com.microsoft nodes stay untouched, even when dead', async () => {
    const scaler = makeNode('Scaler', ['x'], ['scaled'], {
      name: 'scaler',
      domain: 'ai.onnx.ml',
      attributes: [
        makeAttrFloats('offset', [0.5, -0.5, 0, 1]),
        makeAttrFloats('scale', [2, 2, -1, 0.5]),
      ],
    });
    const gelu = makeNode('Gelu', ['scaled'], ['gelu'], { name: 'gelu', domain: 'com.microsoft' });
    const deadGelu = makeNode('Gelu', ['x'], ['unused'], {
      name: 'dead_gelu',
      domain: 'com.microsoft',
    });
    const original = modelOf(
      [
        scaler,
        gelu,
        makeNode('Identity', ['gelu'], ['gelu_copy'], { name: 'id' }),
        deadGelu,
        makeNode('Relu', ['gelu_copy'], ['y']),
      ],
      [makeTensorValueInfo('x', 'float32', [2, 4])],
      [makeTensorValueInfo('y', 'float32', [2, 4])],
      [],
      [
        { domain: '', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
        { domain: 'com.microsoft', version: 1 },
      ],
    );
    const { model } = simplifyModel(original);
    expect(model.graph.node.map((n) => n.name)).toEqual(['scaler', 'gelu', 'dead_gelu', undefined]);
    expect(model.graph.node[0]).toEqual(scaler);
    expect(model.graph.node[1]).toEqual(gelu);
    expect(model.graph.node[2]).toEqual(deadGelu);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 230));
    expect(diffs.y?.diff).toBe(0);
  });
});
