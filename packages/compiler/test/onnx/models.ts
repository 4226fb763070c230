import {
  makeAttrFloat,
  makeAttrFloats,
  makeAttrInt,
  makeAttrInts,
  makeAttrString,
  makeAttrTensor,
} from '../../src/onnx/attributes.js';
import {
  makeGraph,
  makeInitializer,
  makeModel,
  makeNode,
  makeTensorValueInfo,
} from '../../src/onnx/builders.js';
import { TensorDataType } from '../../src/onnx/onnx-schema.js';
import type { OnnxModel } from '../../src/onnx/onnx-types.js';
import { encodeTensor, float32ArrayToFloat16Bits } from '../../src/onnx/tensor.js';
import { randomFloats } from './helpers.js';

/** Small models built with the builders, shared by the round-trip and onnxruntime tests. */

export const MATMUL_W = randomFloats(3 * 4, 1);
export const MATMUL_B = randomFloats(4, 2);

/** y = Relu(x[2,3] @ W[3,4] + B[4]). */
export function matMulAddReluModel(): OnnxModel {
  const graph = makeGraph({
    name: 'matmul_add_relu',
    nodes: [
      makeNode('MatMul', ['x', 'W'], ['mm'], { name: 'matmul' }),
      makeNode('Add', ['mm', 'B'], ['sum'], { name: 'add' }),
      makeNode('Relu', ['sum'], ['y'], { name: 'relu' }),
    ],
    inputs: [makeTensorValueInfo('x', 'float32', ['batch', 3])],
    outputs: [makeTensorValueInfo('y', 'float32', ['batch', 4])],
    initializers: [makeInitializer('W', MATMUL_W, [3, 4]), makeInitializer('B', MATMUL_B, [4])],
  });
  return makeModel(graph, { opsetImports: [{ version: 13 }], irVersion: 7 });
}

export const GEMM_W = randomFloats(5 * 3, 3); // [N=5, K=3], used transposed
export const GEMM_C = randomFloats(5, 4);

/** y = 0.5 * x[2,3] @ W^T + 2 * C. */
export function gemmModel(): OnnxModel {
  const graph = makeGraph({
    name: 'gemm',
    nodes: [
      makeNode('Gemm', ['x', 'W', 'C'], ['y'], {
        name: 'gemm',
        attributes: [
          makeAttrFloat('alpha', 0.5),
          makeAttrFloat('beta', 2),
          makeAttrInt('transB', 1),
        ],
      }),
    ],
    inputs: [makeTensorValueInfo('x', 'float32', [2, 3])],
    outputs: [makeTensorValueInfo('y', 'float32', [2, 5])],
    initializers: [makeInitializer('W', GEMM_W, [5, 3]), makeInitializer('C', GEMM_C, [5])],
  });
  return makeModel(graph);
}

export const CONV_W = randomFloats(2 * 1 * 3 * 3, 5); // [M=2, C=1, 3, 3]
export const CONV_B = Float32Array.from([0.25, -0.5]);

/** y = Conv(x[1,1,4,4], W, B) with pads 1, stride 1 -> [1,2,4,4]. */
export function convModel(): OnnxModel {
  const graph = makeGraph({
    name: 'conv',
    nodes: [
      makeNode('Conv', ['x', 'W', 'B'], ['y'], {
        name: 'conv',
        attributes: [
          makeAttrInts('kernel_shape', [3, 3]),
          makeAttrInts('pads', [1, 1, 1, 1]),
          makeAttrInts('strides', [1, 1]),
          makeAttrString('auto_pad', 'NOTSET'),
        ],
      }),
    ],
    inputs: [makeTensorValueInfo('x', 'float32', [1, 1, 4, 4])],
    outputs: [makeTensorValueInfo('y', 'float32', [1, 2, 4, 4])],
    initializers: [makeInitializer('W', CONV_W, [2, 1, 3, 3]), makeInitializer('B', CONV_B, [2])],
  });
  return makeModel(graph);
}

/** y = Reshape(x[1,6], shape=[2,-1]) with an INT64 shape initializer. */
export function reshapeModel(): OnnxModel {
  const graph = makeGraph({
    name: 'reshape',
    nodes: [makeNode('Reshape', ['x', 'shape'], ['y'], { name: 'reshape' })],
    inputs: [makeTensorValueInfo('x', 'float32', [1, 6])],
    outputs: [makeTensorValueInfo('y', 'float32', [2, 3])],
    initializers: [makeInitializer('shape', new BigInt64Array([2n, -1n]), [2])],
  });
  return makeModel(graph);
}

export const HALF_BIAS = Float32Array.from([0.1, -0.2, 1000.5, 65504]);

/**
 * y16 = Cast<float16>(x) and y32 = Cast<float32>(Concat(bias16, one16)): a FLOAT16
 * initializer, Cast both ways and a Constant holding a FLOAT16 tensor attribute.
 * (No fp16 arithmetic: onnxruntime's CPU provider computes that in float32 and
 * drops Cast pairs, which would test onnxruntime rather than this code.)
 */
export function float16CastModel(): OnnxModel {
  const graph = makeGraph({
    name: 'float16_cast',
    nodes: [
      makeNode('Cast', ['x'], ['y16'], {
        name: 'to_half',
        attributes: [makeAttrInt('to', TensorDataType.FLOAT16)],
      }),
      makeNode('Constant', [], ['one16'], {
        name: 'one',
        attributes: [
          makeAttrTensor(
            'value',
            encodeTensor('', new Uint16Array([0x3c00]), [1], TensorDataType.FLOAT16),
          ),
        ],
      }),
      makeNode('Concat', ['bias16', 'one16'], ['joined16'], {
        name: 'concat',
        attributes: [makeAttrInt('axis', 0)],
      }),
      makeNode('Cast', ['joined16'], ['y32'], {
        name: 'to_float',
        attributes: [makeAttrInt('to', TensorDataType.FLOAT)],
      }),
    ],
    inputs: [makeTensorValueInfo('x', 'float32', [4])],
    outputs: [
      makeTensorValueInfo('y16', 'float16', [4]),
      makeTensorValueInfo('y32', 'float32', [5]),
    ],
    initializers: [
      makeInitializer('bias16', float32ArrayToFloat16Bits(HALF_BIAS), [4], TensorDataType.FLOAT16),
    ],
  });
  return makeModel(graph);
}

/** Scaler (ai.onnx.ml) -> Gelu (com.microsoft) -> Relu: nodes of other domains must pass through untouched. */
export function otherDomainsModel(): OnnxModel {
  const graph = makeGraph({
    name: 'other_domains',
    nodes: [
      makeNode('Scaler', ['x'], ['scaled'], {
        name: 'scaler',
        domain: 'ai.onnx.ml',
        attributes: [
          makeAttrFloats('offset', [0.5, -0.5, 0, 1]),
          makeAttrFloats('scale', [2, 2, -1, 0.5]),
        ],
      }),
      makeNode('Gelu', ['scaled'], ['gelu'], { name: 'gelu', domain: 'com.microsoft' }),
      makeNode('Relu', ['gelu'], ['y'], { name: 'relu' }),
    ],
    inputs: [makeTensorValueInfo('x', 'float32', [1, 4])],
    outputs: [makeTensorValueInfo('y', 'float32', [1, 4])],
  });
  return makeModel(graph, {
    opsetImports: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
      { domain: 'com.microsoft', version: 1 },
    ],
  });
}
