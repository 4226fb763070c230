import {
  makeAttrFloat,
  makeAttrInt,
  makeGraph,
  makeInitializer,
  makeModel,
  makeNode,
  makeTensorValueInfo,
} from '../../src/onnx/index.js';
import type { OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from '../../src/onnx/index.js';
import { randomFloats } from '../onnx/helpers.js';

/** Hand-built graphs for the rule tests (each rule gets the smallest graph that exercises it). */

/** A model of one graph, opset 17 unless told. */
export function modelOf(
  nodes: OnnxNode[],
  inputs: OnnxValueInfo[],
  outputs: OnnxValueInfo[],
  initializers: OnnxTensor[] = [],
  opsetImports: { domain?: string; version: number }[] = [{ domain: '', version: 17 }],
): OnnxModel {
  return makeModel(makeGraph({ name: 'test', nodes, inputs, outputs, initializers }), {
    opsetImports,
  });
}

/** BatchNormalization parameters for `channels` channels: positive variance, varied gamma/beta/mean. */
export function bnInitializers(prefix: string, channels: number, seed: number): OnnxTensor[] {
  const variance = randomFloats(channels, seed + 3).map((v) => 0.5 + Math.abs(v));
  return [
    makeInitializer(
      `${prefix}.gamma`,
      randomFloats(channels, seed).map((v) => 1 + v),
      [channels],
    ),
    makeInitializer(`${prefix}.beta`, randomFloats(channels, seed + 1), [channels]),
    makeInitializer(`${prefix}.mean`, randomFloats(channels, seed + 2), [channels]),
    makeInitializer(`${prefix}.var`, variance, [channels]),
  ];
}

/** A BatchNormalization node reading `input` with the parameters of {@link bnInitializers}. */
export function bnNode(prefix: string, input: string, output: string): OnnxNode {
  return makeNode(
    'BatchNormalization',
    [input, `${prefix}.gamma`, `${prefix}.beta`, `${prefix}.mean`, `${prefix}.var`],
    [output],
    { name: prefix, attributes: [makeAttrFloat('epsilon', 1e-3)] },
  );
}

/** x[1, 4, 5, 5] -> Conv (optional bias, groups) -> BatchNormalization -> y (a graph output). */
export function convBnModel(options: { bias: boolean; group: number }): OnnxModel {
  const { bias, group } = options;
  const weight = makeInitializer('w', randomFloats(6 * (4 / group) * 9, 21), [6, 4 / group, 3, 3]);
  const inits = [weight, ...bnInitializers('bn', 6, 30)];
  if (bias) inits.push(makeInitializer('b', randomFloats(6, 22), [6]));
  const conv = makeNode('Conv', bias ? ['x', 'w', 'b'] : ['x', 'w'], ['conv_out'], {
    name: 'conv',
    attributes: [makeAttrInt('group', group)],
  });
  return modelOf(
    [conv, bnNode('bn', 'conv_out', 'y')],
    [makeTensorValueInfo('x', 'float32', [1, 4, 5, 5])],
    [makeTensorValueInfo('y', 'float32', [1, 6, 3, 3])],
    inits,
  );
}

/** x[3, 4] -> Gemm(alpha 0.5, beta 2, C[5]) -> BatchNormalization -> Relu -> y. */
export function gemmBnModel(transB: boolean): OnnxModel {
  const weight = transB
    ? makeInitializer('w', randomFloats(20, 41), [5, 4])
    : makeInitializer('w', randomFloats(20, 41), [4, 5]);
  const gemm = makeNode('Gemm', ['x', 'w', 'c'], ['gemm_out'], {
    name: 'gemm',
    attributes: [
      makeAttrFloat('alpha', 0.5),
      makeAttrFloat('beta', 2),
      makeAttrInt('transB', transB ? 1 : 0),
    ],
  });
  return modelOf(
    [gemm, bnNode('bn', 'gemm_out', 'bn_out'), makeNode('Relu', ['bn_out'], ['y'])],
    [makeTensorValueInfo('x', 'float32', [3, 4])],
    [makeTensorValueInfo('y', 'float32', [3, 5])],
    [weight, makeInitializer('c', randomFloats(5, 42), [5]), ...bnInitializers('bn', 5, 50)],
  );
}

/** x[3, 4] -> MatMul(W[4, 5]) [-> Add(b[5])] -> BatchNormalization -> y. */
export function matMulBnModel(withAdd: boolean): OnnxModel {
  const nodes = [makeNode('MatMul', ['x', 'w'], ['mm'], { name: 'mm' })];
  const inits = [
    makeInitializer('w', randomFloats(20, 61), [4, 5]),
    ...bnInitializers('bn', 5, 70),
  ];
  if (withAdd) {
    nodes.push(makeNode('Add', ['b', 'mm'], ['add_out'], { name: 'add' }));
    inits.push(makeInitializer('b', randomFloats(5, 62), [5]));
  }
  nodes.push(bnNode('bn', withAdd ? 'add_out' : 'mm', 'y'));
  return modelOf(
    nodes,
    [makeTensorValueInfo('x', 'float32', [3, 4])],
    [makeTensorValueInfo('y', 'float32', [3, 5])],
    inits,
  );
}

/** Op types of a model's nodes, in order. */
export function opTypes(model: OnnxModel): string[] {
  return model.graph.node.map((node) => node.opType ?? '');
}
