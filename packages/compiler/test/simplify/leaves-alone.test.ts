import { describe, expect, it } from 'vitest';

import {
  makeAttrFloat,
  makeAttrGraph,
  makeAttrInt,
  makeGraph,
  makeInitializer,
  makeNode,
  makeTensorValueInfo,
} from '../../src/onnx/index.js';
import { SimplifyError, simplifyModel } from '../../src/simplify/index.js';
import type { SimplifyErrorCode } from '../../src/simplify/index.js';
import { compareModels, seededFeeds } from './ort-compare.js';
import {
  bnInitializers,
  bnNode,
  convBnModel,
  matMulBnModel,
  modelOf,
  opTypes,
} from './test-models.js';

function expectSimplifyError(fn: () => unknown, code: SimplifyErrorCode): SimplifyError {
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
  it('a BatchNormalization whose Conv output has another reader', async () => {
    const original = convBnModel({ bias: true, group: 1 });
    original.graph.node.push(makeNode('Relu', ['conv_out'], ['side'], { name: 'side' }));
    original.graph.output.push(makeTensorValueInfo('side', 'float32', [1, 6, 3, 3]));
    const { model, report } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
    expect(report.foldedBatchNorms).toBe(0);
    expect(model.graph.initializer).toEqual(original.graph.initializer);
  });

  it('a BatchNormalization whose parameters are graph inputs, not initializers', () => {
    const original = convBnModel({ bias: true, group: 1 });
    original.graph.initializer = original.graph.initializer.filter((t) => t.name !== 'bn.var');
    original.graph.input.push(makeTensorValueInfo('bn.var', 'float32', [6]));
    expect(opTypes(simplifyModel(original).model)).toEqual(['Conv', 'BatchNormalization']);
  });

  it('a BatchNormalization in training mode', () => {
    const original = convBnModel({ bias: true, group: 1 });
    original.graph.node[1]?.attribute.push(makeAttrInt('training_mode', 1));
    expect(simplifyModel(original).report.foldedBatchNorms).toBe(0);
  });

  it('MatMul + BatchNormalization when the rank (and so the channel axis) is unknown', () => {
    const original = matMulBnModel(true);
    original.graph.input = [makeTensorValueInfo('x', 'float32', null)];
    expect(opTypes(simplifyModel(original).model)).toEqual(['MatMul', 'Add', 'BatchNormalization']);
  });

  it('a Dropout whose mask is used', async () => {
    const original = modelOf(
      [makeNode('Dropout', ['x'], ['d', 'mask'], { name: 'drop' }), makeNode('Relu', ['d'], ['y'])],
      [x4],
      [y4, makeTensorValueInfo('mask', 'bool', [2, 4])],
    );
    const { model } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Dropout', 'Relu']);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 300));
    expect(diffs.y?.diff).toBe(0);
  });

  it('a Dropout whose training_mode is not a constant false', () => {
    const original = modelOf(
      [makeNode('Dropout', ['x', 'ratio', 'train'], ['y'], { name: 'drop' })],
      [x4, makeTensorValueInfo('train', 'bool', [])],
      [y4],
      [makeInitializer('ratio', new Float32Array([0.1]), [])],
    );
    expect(opTypes(simplifyModel(original).model)).toEqual(['Dropout']);
  });

  it('an Identity from a graph input straight to a graph output (no producer to rename)', () => {
    const original = modelOf([makeNode('Identity', ['x'], ['y'])], [x4], [y4]);
    expect(opTypes(simplifyModel(original).model)).toEqual(['Identity']);
  });

  it('an Identity whose output an If body reads by name', async () => {
    const branch = (op: string): ReturnType<typeof makeGraph> =>
      makeGraph({
        name: op,
        nodes: [makeNode(op, ['copy'], ['out'])],
        inputs: [],
        outputs: [makeTensorValueInfo('out', 'float32', [2, 4])],
      });
    const original = modelOf(
      [
        makeNode('Identity', ['x'], ['copy']),
        makeNode('If', ['cond'], ['y'], {
          attributes: [
            makeAttrGraph('then_branch', branch('Relu')),
            makeAttrGraph('else_branch', branch('Neg')),
          ],
        }),
      ],
      [x4, makeTensorValueInfo('cond', 'bool', [])],
      [y4],
    );
    const { model } = simplifyModel(original);
    expect(model).toEqual(original);
  });

  it('ops it cannot evaluate, and integer division by zero', () => {
    const original = modelOf(
      [
        makeNode('Sin', ['c'], ['s']),
        makeNode('Div', ['i', 'zero'], ['q']),
        makeNode('Cast', ['q'], ['qf'], { attributes: [makeAttrInt('to', 1)] }),
        makeNode('Add', ['x', 's'], ['a']),
        makeNode('Add', ['a', 'qf'], ['y']),
      ],
      [x4],
      [y4],
      [
        makeInitializer('c', new Float32Array(4), [4]),
        makeInitializer('i', new Int32Array([7]), [1]),
        makeInitializer('zero', new Int32Array([0]), [1]),
      ],
    );
    const { model, report } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Sin', 'Div', 'Cast', 'Add', 'Add']);
    expect(report.constantFolded).toBe(0);
  });

  it('constants larger than maxFoldedElements', () => {
    const original = modelOf(
      [makeNode('Add', ['c', 'c'], ['d']), makeNode('Add', ['x', 'd'], ['y'])],
      [x4],
      [y4],
      [makeInitializer('c', new Float32Array(8), [2, 4])],
    );
    expect(opTypes(simplifyModel(original, { maxFoldedElements: 4 }).model)).toEqual([
      'Add',
      'Add',
    ]);
    expect(opTypes(simplifyModel(original).model)).toEqual(['Add']);
  });

  it('every rule when switched off', () => {
    const original = convBnModel({ bias: false, group: 1 });
    original.graph.node.push(makeNode('Identity', ['y'], ['y_copy']));
    const off = {
      foldBatchNorm: false,
      removePassThrough: false,
      foldConstants: false,
      removeDeadCode: false,
    };
    expect(simplifyModel(original, off).model).toEqual(original);
  });
});

describe('rejects ...', () => {
  it('a graph with a cycle', () => {
    const original = modelOf(
      [
        makeNode('Add', ['x', 'b'], ['a']),
        makeNode('Relu', ['a'], ['b']),
        makeNode('Relu', ['a'], ['y']),
      ],
      [x4],
      [y4],
    );
    const err = expectSimplifyError(() => simplifyModel(original), 'EF_COMPILE_SIMPLIFY_GRAPH');
    expect(err.cause).toBeDefined();
  });

  it('a node reading a value nothing provides', () => {
    const original = modelOf([makeNode('Add', ['x', 'ghost'], ['y'])], [x4], [y4]);
    expectSimplifyError(() => simplifyModel(original), 'EF_COMPILE_SIMPLIFY_GRAPH');
  });

  it('bad options', () => {
    const original = modelOf([makeNode('Relu', ['x'], ['y'])], [x4], [y4]);
    expectSimplifyError(
      () => simplifyModel(original, { maxFoldedElements: -1 }),
      'EF_COMPILE_SIMPLIFY_OPTIONS',
    );
    expectSimplifyError(
      () => simplifyModel(original, { foldBatchNorm: 'yes' as unknown as boolean }),
      'EF_COMPILE_SIMPLIFY_OPTIONS',
    );
  });
});

describe('BatchNormalization edge parameters', () => {
  it('folds with a non-default epsilon exactly as onnxruntime computes it', async () => {
    const original = convBnModel({ bias: true, group: 1 });
    const bn = bnNode('bn', 'conv_out', 'y');
    bn.attribute = [makeAttrFloat('epsilon', 0.5)];
    original.graph.node[1] = bn;
    original.graph.initializer = [
      ...original.graph.initializer.filter((t) => !t.name?.startsWith('bn.')),
      ...bnInitializers('bn', 6, 310),
    ];
    const { model } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Conv']);
    const diffs = await compareModels(original, model, seededFeeds({ x: [1, 4, 5, 5] }, 311));
    expect(diffs.y?.diff).toBeLessThanOrEqual(1e-5);
  });
});
