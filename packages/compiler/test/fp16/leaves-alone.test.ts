import { describe, expect, it } from 'vitest';

import {
  DataLocation,
  TensorDataType,
  makeAttrGraph,
  makeAttrInt,
  makeGraph,
  makeInitializer,
  makeNode,
  makeTensorValueInfo,
} from '../../src/onnx/index.js';
import { convertToFloat16 } from '../../src/fp16/index.js';
import type { ConvertToFloat16Options } from '../../src/fp16/index.js';
import { SimplifyError } from '../../src/simplify/index.js';
import type { SimplifyErrorCode } from '../../src/simplify/index.js';
import { compareModels, seededFeeds } from '../simplify/ort-compare.js';
import { modelOf, opTypes } from '../simplify/test-models.js';

function expectFp16Error(fn: () => unknown, code: SimplifyErrorCode): SimplifyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimplifyError && err.code === code) return err;
    throw new Error(`expected SimplifyError ${code}, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected SimplifyError ${code}, nothing was thrown`);
}

const x4 = makeTensorValueInfo('x', 'float32', [2, 4]);
const y4 = makeTensorValueInfo('y', 'float32', [2, 4]);

describe('leaves alone ...', () => {
  it('a model without float32 values (no Casts, nothing converted)', () => {
    const original = modelOf(
      [makeNode('Add', ['i', 'one'], ['o'])],
      [makeTensorValueInfo('i', 'int64', [2])],
      [makeTensorValueInfo('o', 'int64', [2])],
      [makeInitializer('one', new BigInt64Array([1n, 1n]), [2])],
    );
    const { model, report } = convertToFloat16(original);
    expect(model).toEqual(original);
    expect(report.castsInserted).toBe(0);
  });

  it('float64 values and integer paths next to the float16 region', async () => {
    const original = modelOf(
      [
        makeNode('Shape', ['x'], ['s']),
        makeNode('Reshape', ['x', 's'], ['r']),
        makeNode('Cast', ['r'], ['d'], { attributes: [makeAttrInt('to', TensorDataType.DOUBLE)] }),
        makeNode('Cast', ['d'], ['y'], { attributes: [makeAttrInt('to', TensorDataType.FLOAT)] }),
      ],
      [x4],
      [y4],
    );
    const { model } = convertToFloat16(original);
    expect(model.graph.node.filter((n) => n.opType === 'Shape')[0]?.input[0]).toBe('x');
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 700));
    expect(diffs.y?.diff).toBeLessThanOrEqual(1e-3);
  });

  it('control-flow nodes and their bodies (kept float32, bodies untouched)', async () => {
    const body = (op: string): ReturnType<typeof makeGraph> =>
      makeGraph({
        name: op,
        nodes: [makeNode(op, ['m'], ['out'])],
        inputs: [],
        outputs: [makeTensorValueInfo('out', 'float32', [2, 4])],
      });
    const original = modelOf(
      [
        makeNode('Mul', ['x', 'x'], ['m'], { name: 'mul' }),
        makeNode('If', ['cond'], ['y'], {
          name: 'if',
          attributes: [
            makeAttrGraph('then_branch', body('Relu')),
            makeAttrGraph('else_branch', body('Neg')),
          ],
        }),
      ],
      [x4, makeTensorValueInfo('cond', 'bool', [])],
      [y4],
    );
    const { model, report } = convertToFloat16(original);
    expect(report.keptFp32Nodes).toEqual([{ name: 'if', opType: 'If', reason: 'subgraph' }]);
    const ifNode = model.graph.node.find((n) => n.name === 'if')!;
    expect(ifNode).toEqual(original.graph.node[1]);
    // 'm' is read by the bodies by name, so the float16 Mul writes elsewhere and a Cast restores 'm'.
    expect(opTypes(model)).toEqual(['Cast', 'Mul', 'Cast', 'If']);
    const feeds = { ...seededFeeds({ x: [2, 4] }, 701) };
    for (const cond of [true, false]) {
      const { Tensor } = await import('onnxruntime-node');
      const diffs = await compareModels(original, model, {
        ...feeds,
        cond: new Tensor('bool', [cond], []),
      });
      expect(diffs.y?.diff).toBeLessThanOrEqual(5e-3);
    }
  });

  it('nodes named in nodeBlockList', () => {
    const original = modelOf([makeNode('Relu', ['x'], ['y'], { name: 'keep_me' })], [x4], [y4]);
    const { model, report } = convertToFloat16(original, { nodeBlockList: ['keep_me'] });
    expect(model).toEqual(original);
    expect(report.keptFp32Nodes).toEqual([
      { name: 'keep_me', opType: 'Relu', reason: 'nodeBlockList' },
    ]);
  });
});

describe('rejects ...', () => {
  const relu = (): ReturnType<typeof modelOf> =>
    modelOf([makeNode('Relu', ['x'], ['y'])], [x4], [y4]);

  it('keepIoFloat32: false and malformed block lists', () => {
    const bad = [
      { keepIoFloat32: false },
      { blockList: 'Max' },
      { nodeBlockList: [1] },
    ] as unknown as ConvertToFloat16Options[];
    for (const options of bad)
      expectFp16Error(() => convertToFloat16(relu(), options), 'EF_COMPILE_FP16_OPTIONS');
  });

  it('opsets older than 6 (string Cast targets)', () => {
    const model = relu();
    model.opsetImport = [{ domain: '', version: 5n }];
    expectFp16Error(() => convertToFloat16(model), 'EF_COMPILE_FP16_OPSET');
  });

  it('float32 initializers stored in external files', () => {
    const model = modelOf(
      [makeNode('Mul', ['x', 'w'], ['y'])],
      [x4],
      [y4],
      [makeInitializer('w', new Float32Array(4), [4])],
    );
    const w = model.graph.initializer[0]!;
    delete w.rawData;
    w.dataLocation = DataLocation.EXTERNAL;
    w.externalData = [{ key: 'location', value: 'weights.bin' }];
    expectFp16Error(() => convertToFloat16(model), 'EF_COMPILE_FP16_EXTERNAL_DATA');
  });

  it('a graph with a cycle', () => {
    const model = modelOf(
      [
        makeNode('Add', ['x', 'b'], ['a']),
        makeNode('Relu', ['a'], ['b']),
        makeNode('Relu', ['a'], ['y']),
      ],
      [x4],
      [y4],
    );
    const err = expectFp16Error(() => convertToFloat16(model), 'EF_COMPILE_FP16_GRAPH');
    expect(err.cause).toBeDefined();
  });
});
