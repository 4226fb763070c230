import { makeAttrInt, makeInitializer, makeNode, TensorDataType } from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import { quantizeActivationDynamic } from './dynamic-activation.js';
import { tinyReason } from './dynamic-matmul.js';
import type { GraphContext } from './graph-context.js';
import { addQuantizedWeight, type QuantizedWeight } from './weight-quantization.js';

/**
 * Rewrites a Conv with a float initializer weight into onnxruntime's `quantize_dynamic` pattern
 * (`operators/conv.py`, class ConvInteger):
 *
 *   DynamicQuantizeLinear(X) -> X_u8, x_scale, x_zp
 *   Mul(x_scale, w_scale) -> scales
 *   ConvInteger(X_u8, W_u8, x_zp, w_zp) (the Conv's attributes) -> int32
 *   Cast(to=FLOAT) -> Mul(·, scales) -> [Add(·, Reshape(B, [1, -1, 1, ...]))] -> Y
 *
 * The weight is uint8, asymmetric, per TENSOR: onnxruntime's ConvInteger CPU kernel has long
 * been u8u8 only and ConvInteger takes a scalar weight zero point, so per-channel scales would
 * not fit. The bias is reshaped to broadcast over [N, M, spatial...] exactly as onnxruntime does.
 *
 * @example
 * const rewritten = quantizeConvDynamic(ctx, convNode, { minWeightElements: 256 });
 */
export function quantizeConvDynamic(
  ctx: GraphContext,
  node: OnnxNode,
  options: { minWeightElements: number },
): { nodes: OnnxNode[]; weight: QuantizedWeight; weightName: string } | undefined {
  const [input, weightName, bias] = node.input;
  const weight = ctx.floatWeight(weightName);
  if (input === undefined || weight === undefined || ctx.isInitializer(input)) {
    ctx.keep(node, 'kept fp32: the Conv weight is not a float32 constant initializer');
    return undefined;
  }
  if (weight.dims.length < 3) {
    ctx.keep(node, `kept fp32: Conv weight '${weight.name}' has rank ${weight.dims.length} (< 3)`);
    return undefined;
  }
  if (weight.data.length < options.minWeightElements) {
    ctx.keep(node, tinyReason(weight, options.minWeightElements));
    return undefined;
  }
  const nodes: OnnxNode[] = [];
  const name = node.name ?? 'Conv';
  const output = node.output[0] ?? '';
  const x = quantizeActivationDynamic(ctx, input, nodes);
  const w = addQuantizedWeight(ctx, { weight, qType: 'uint8', symmetric: false, axis: undefined });
  const scales = ctx.names.next(`${name}_quant_scales_mul:0`);
  const integer = ctx.names.next(`${output}_output_quantized`);
  const asFloat = ctx.names.next(`${integer}_cast_output`);
  const hasBias = bias !== undefined && bias !== '';
  const scaled = hasBias ? ctx.names.next(`${output}quant_scaled_output`) : output;
  nodes.push(
    makeNode('Mul', [x.scale, w.scale], [scales], {
      name: ctx.names.next(`${name}_quant_scales_mul`),
    }),
    makeNode('ConvInteger', [x.quantized, w.quantized, x.zeroPoint, w.zeroPoint], [integer], {
      name: ctx.names.next(`${name}_quant`),
      attributes: structuredClone(node.attribute),
    }),
    makeNode('Cast', [integer], [asFloat], {
      name: ctx.names.next(`${integer}_cast`),
      attributes: [makeAttrInt('to', TensorDataType.FLOAT)],
    }),
    makeNode('Mul', [asFloat, scales], [scaled], {
      name: ctx.names.next(`${name}_quant_output_scale_mul`),
    }),
  );
  if (hasBias) {
    // onnxruntime: reshape_shape = ones(rank(W)); reshape_shape[1] = -1.
    const shape = new BigInt64Array(weight.dims.length).fill(1n);
    shape[1] = -1n;
    const shapeName = ctx.names.next(`${output}_bias_reshape_shape`);
    const reshaped = ctx.names.next(`${output}_bias_reshape_output`);
    ctx.addInitializer(makeInitializer(shapeName, shape, [shape.length], TensorDataType.INT64));
    nodes.push(
      makeNode('Reshape', [bias, shapeName], [reshaped], {
        name: ctx.names.next(`${output}_bias_reshape`),
      }),
      makeNode('Add', [scaled, reshaped], [output], { name: ctx.names.next(`${output}_bias_add`) }),
    );
  }
  return { nodes, weight: w, weightName: weight.name };
}
