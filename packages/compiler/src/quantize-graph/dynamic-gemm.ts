import { getAttrFloat, getAttrInt } from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import { emitDynamicMatMul, tinyReason } from './dynamic-matmul.js';
import type { GraphContext } from './graph-context.js';
import { transposeWeight, type QuantizedWeight } from './weight-quantization.js';

/**
 * Rewrites a Gemm `Y = alpha * A' @ B' + beta * C` whose B is a float initializer, the way
 * onnxruntime's `quantize_dynamic` does: it first turns Gemm into MatMul + Add
 * (`onnx_model.replace_gemm_with_matmul`, which only accepts alpha = beta = 1 and transA = 0,
 * transposing B when transB = 1), then quantizes the MatMul (see `emitDynamicMatMul`) and keeps
 * the Add of C in float. Other Gemms stay float, with the reason in the report.
 *
 * @example
 * const rewritten = quantizeGemmDynamic(ctx, gemmNode, { perChannel: true, minWeightElements: 256 });
 */
export function quantizeGemmDynamic(
  ctx: GraphContext,
  node: OnnxNode,
  options: { perChannel: boolean; minWeightElements: number },
): { nodes: OnnxNode[]; weight: QuantizedWeight; weightName: string } | undefined {
  const [activation, weightName, bias] = node.input;
  const alpha = getAttrFloat(node, 'alpha', 1);
  const beta = getAttrFloat(node, 'beta', 1);
  if (alpha !== 1 || (beta !== 1 && bias !== undefined && bias !== '')) {
    ctx.keep(
      node,
      `kept fp32: Gemm alpha=${alpha}, beta=${beta}; only alpha = beta = 1 maps onto MatMulInteger + Add (as onnxruntime)`,
    );
    return undefined;
  }
  if (getAttrInt(node, 'transA', 0) !== 0) {
    ctx.keep(node, 'kept fp32: Gemm transA=1 (onnxruntime only quantizes transA=0)');
    return undefined;
  }
  const stored = ctx.floatWeight(weightName);
  if (activation === undefined || stored === undefined || ctx.isInitializer(activation)) {
    ctx.keep(node, 'kept fp32: input B is not a float32 constant initializer (or A is constant)');
    return undefined;
  }
  if (stored.dims.length !== 2) {
    ctx.keep(node, `kept fp32: weight '${stored.name}' has rank ${stored.dims.length}, not 2`);
    return undefined;
  }
  if (stored.data.length < options.minWeightElements) {
    ctx.keep(node, tinyReason(stored, options.minWeightElements));
    return undefined;
  }
  // transB=1 stores B as [N, K]: transpose at quantization time so MatMulInteger sees [K, N].
  // The quantized initializer keeps the original name (`<B>_quantized`), as onnxruntime's does.
  const weight =
    getAttrInt(node, 'transB', 0) === 1 ? transposeWeight(stored, stored.name) : stored;
  const gemmName = node.name ?? 'Gemm';
  const { nodes, weight: q } = emitDynamicMatMul(ctx, {
    nodeName: `${gemmName}_MatMul`,
    activation,
    weight,
    perChannel: options.perChannel,
    output: node.output[0] ?? '',
    bias:
      bias === undefined || bias === '' ? undefined : { input: bias, addName: `${gemmName}_Add` },
  });
  return { nodes, weight: q, weightName: stored.name };
}
