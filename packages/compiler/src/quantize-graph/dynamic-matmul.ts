import { makeAttrInt, makeNode, TensorDataType } from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import { quantizeActivationDynamic } from './dynamic-activation.js';
import type { FloatWeight, GraphContext } from './graph-context.js';
import { addQuantizedWeight, type QuantizedWeight } from './weight-quantization.js';

/** What {@link emitDynamicMatMul} builds: `output = A @ W (+ bias)` in integer arithmetic. */
export interface DynamicMatMulRequest {
  /** Base for new node names (onnxruntime: the MatMul's name, `<gemm>_MatMul` for a Gemm). */
  nodeName: string;
  activation: string;
  /** Weight as [K, N] (already transposed for Gemm transB=1). */
  weight: FloatWeight;
  perChannel: boolean;
  /** Name of the float result (the original node's output). */
  output: string;
  /** Optional bias (Gemm C), added after rescaling by a `<gemm>_Add` node. */
  bias?: { input: string; addName: string } | undefined;
}

/**
 * Emits onnxruntime's `quantize_dynamic` MatMul pattern (`operators/matmul.py`, MatMulInteger):
 *
 *   DynamicQuantizeLinear(A) -> A_u8, a_scale, a_zp
 *   Mul(a_scale, w_scale)                       -> scales   (per-channel: a vector over N)
 *   MatMulInteger(A_u8, W_i8, a_zp, w_zp)       -> int32
 *   Cast(to=FLOAT) -> Mul(·, scales)            -> output (or `<out>_MatMul` then Add(bias))
 *
 * W is int8 symmetric ([-127, 127], zero point 0), per channel along N (axis 1 of [K, N]) or per
 * tensor. MatMulInteger accepts a 1-D per-column weight zero point (ONNX spec), which onnxruntime's
 * CPU kernel supports, so per-channel needs no extra nodes.
 *
 * @example
 * const nodes = emitDynamicMatMul(ctx, { nodeName: 'fc', activation: 'x', weight, perChannel: true, output: 'y' });
 */
export function emitDynamicMatMul(
  ctx: GraphContext,
  request: DynamicMatMulRequest,
): { nodes: OnnxNode[]; weight: QuantizedWeight } {
  const nodes: OnnxNode[] = [];
  const { nodeName, output } = request;
  const a = quantizeActivationDynamic(ctx, request.activation, nodes);
  const w = addQuantizedWeight(ctx, {
    weight: request.weight,
    qType: 'int8',
    symmetric: true,
    axis: request.perChannel ? 1 : undefined,
  });
  const scales = ctx.names.next(`${nodeName}_quant_scales_mul:0`);
  const product = request.bias === undefined ? output : ctx.names.next(`${output}_MatMul`);
  const integer = ctx.names.next(`${product}_output_quantized`);
  const asFloat = ctx.names.next(`${integer}_cast_output`);
  nodes.push(
    makeNode('Mul', [a.scale, w.scale], [scales], {
      name: ctx.names.next(`${nodeName}_quant_scales_mul`),
    }),
    makeNode('MatMulInteger', [a.quantized, w.quantized, a.zeroPoint, w.zeroPoint], [integer], {
      name: ctx.names.next(`${nodeName}_quant`),
    }),
    makeNode('Cast', [integer], [asFloat], {
      name: ctx.names.next(`${integer}_cast`),
      attributes: [makeAttrInt('to', TensorDataType.FLOAT)],
    }),
    makeNode('Mul', [asFloat, scales], [product], {
      name: ctx.names.next(`${nodeName}_quant_output_scale_mul`),
    }),
  );
  if (request.bias !== undefined) {
    nodes.push(
      makeNode('Add', [product, request.bias.input], [output], {
        name: ctx.names.next(request.bias.addName),
      }),
    );
  }
  return { nodes, weight: w };
}

/**
 * Rewrites a MatMul whose B is a float [K, N] initializer; returns undefined (and records why)
 * when it must stay float. A following Add (bias) is left as it is, as onnxruntime does.
 *
 * @example
 * const nodes = quantizeMatMulDynamic(ctx, matmulNode, { perChannel: true, minWeightElements: 256 });
 */
export function quantizeMatMulDynamic(
  ctx: GraphContext,
  node: OnnxNode,
  options: { perChannel: boolean; minWeightElements: number },
): { nodes: OnnxNode[]; weight: QuantizedWeight; weightName: string } | undefined {
  const [activation, weightName] = node.input;
  const weight = ctx.floatWeight(weightName);
  if (activation === undefined || weight === undefined || ctx.isInitializer(activation)) {
    ctx.keep(node, 'kept fp32: input B is not a float32 constant initializer (or A is constant)');
    return undefined;
  }
  if (weight.dims.length !== 2) {
    ctx.keep(node, `kept fp32: weight '${weight.name}' has rank ${weight.dims.length}, not 2`);
    return undefined;
  }
  if (weight.data.length < options.minWeightElements) {
    ctx.keep(node, tinyReason(weight, options.minWeightElements));
    return undefined;
  }
  const { nodes, weight: q } = emitDynamicMatMul(ctx, {
    nodeName: node.name ?? 'MatMul',
    activation,
    weight,
    perChannel: options.perChannel,
    output: node.output[0] ?? '',
  });
  return { nodes, weight: q, weightName: weight.name };
}

/** The report reason for a weight below `minWeightElements`. */
export function tinyReason(weight: FloatWeight, minimum: number): string {
  return `kept fp32: weight '${weight.name}' has ${weight.data.length} elements (< ${minimum}); the quantize/rescale nodes would cost more than the bytes saved`;
}
