import { TensorDataType, makeAttrInt, makeInitializer, makeNode } from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import type { QuantParams } from '../quantize/quant-params.js';
import type { GraphContext } from './graph-context.js';
import type { WeightedNodePlan } from './qdq-plan.js';
import { addQuantizedWeight, quantizeBias, type QuantizedWeight } from './weight-quantization.js';

/** Scale and zero point initializers of one calibrated activation range. */
interface ActivationParams {
  scale: string;
  zeroPoint: string;
  params: QuantParams;
}

/**
 * Inserts QuantizeLinear -> DequantizeLinear after each activation in `paramSource` (named as
 * onnxruntime's QDQ quantizer: `<x>_QuantizeLinear`, `<x>_QuantizeLinear_Output`,
 * `<x>_DequantizeLinear_Output`) and points every reader at the DQ output. A graph output keeps
 * its name: its producer then writes `<x>_QuantizeLinear_Input` and the DQ writes `<x>`.
 * Tensors sharing a source reuse its `<source>_scale` / `<source>_zero_point` initializers.
 * Returns the per-tensor parameters.
 *
 * @example
 * insertActivationQdq(ctx, new Map([['x', 'x']]), new Map([['x', { scale: 0.02, zeroPoint: 128 }]]), 'uint8');
 */
export function insertActivationQdq(
  ctx: GraphContext,
  paramSource: ReadonlyMap<string, string>,
  params: ReadonlyMap<string, QuantParams>,
  activationType: 'uint8' | 'int8',
): Map<string, ActivationParams> {
  const dataType = activationType === 'uint8' ? TensorDataType.UINT8 : TensorDataType.INT8;
  const bySource = new Map<string, ActivationParams>();
  const byTensor = new Map<string, ActivationParams>();
  for (const [tensor, source] of paramSource) {
    let entry = bySource.get(source);
    if (entry === undefined) {
      const p = params.get(source) as QuantParams;
      entry = {
        scale: ctx.names.next(`${source}_scale`),
        zeroPoint: ctx.names.next(`${source}_zero_point`),
        params: p,
      };
      ctx.addInitializer(
        makeInitializer(entry.scale, Float32Array.of(p.scale), [], TensorDataType.FLOAT),
      );
      const zp =
        activationType === 'uint8' ? Uint8Array.of(p.zeroPoint) : Int8Array.of(p.zeroPoint);
      ctx.addInitializer(makeInitializer(entry.zeroPoint, zp, [], dataType));
      bySource.set(source, entry);
    }
    byTensor.set(tensor, entry);
  }
  const graphOutputs = new Set(ctx.graph.output.map((v) => v.name ?? ''));
  const added: OnnxNode[] = [];
  for (const [tensor, entry] of byTensor) {
    const quantized = ctx.names.next(`${tensor}_QuantizeLinear_Output`);
    let input = tensor;
    let dequantized: string;
    if (graphOutputs.has(tensor)) {
      input = ctx.names.next(`${tensor}_QuantizeLinear_Input`);
      for (const node of ctx.graph.node)
        node.output = node.output.map((o) => (o === tensor ? input : o));
      dequantized = tensor;
      // Other readers of the output keep reading `tensor`, now the DQ output: the same values ORT sees.
    } else {
      dequantized = ctx.names.next(`${tensor}_DequantizeLinear_Output`);
      for (const node of ctx.graph.node)
        node.input = node.input.map((i) => (i === tensor ? dequantized : i));
    }
    added.push(
      makeNode('QuantizeLinear', [input, entry.scale, entry.zeroPoint], [quantized], {
        name: ctx.names.next(`${tensor}_QuantizeLinear`),
      }),
      makeNode('DequantizeLinear', [quantized, entry.scale, entry.zeroPoint], [dequantized], {
        name: ctx.names.next(`${tensor}_DequantizeLinear`),
      }),
    );
  }
  ctx.graph.node.push(...added);
  return byTensor;
}

const weightDequantized = new WeakMap<GraphContext, Map<QuantizedWeight, string>>();

/**
 * Replaces a weighted node's float weight by DequantizeLinear(int8 weight) (per-channel with the
 * `axis` attribute, opset 13) and its bias by DequantizeLinear(int32 bias) with scale =
 * input_scale * weight_scale and zero point 0: the patterns onnxruntime fuses into QLinearConv,
 * QLinearMatMul and QGemm. Shared weights get one DequantizeLinear.
 *
 * @example
 * insertWeightDq(ctx, plan, { scale: 0.02, zeroPoint: 128 }).scheme; // 'int8-per-channel-symmetric'
 */
export function insertWeightDq(
  ctx: GraphContext,
  plan: WeightedNodePlan,
  inputParams: QuantParams,
): QuantizedWeight {
  const q = addQuantizedWeight(ctx, {
    weight: plan.weight,
    qType: 'int8',
    symmetric: true,
    axis: plan.axis,
  });
  let cache = weightDequantized.get(ctx);
  if (cache === undefined) weightDequantized.set(ctx, (cache = new Map()));
  let dequantized = cache.get(q);
  if (dequantized === undefined) {
    dequantized = ctx.names.next(`${plan.weight.name}_DequantizeLinear_Output`);
    ctx.graph.node.push(
      makeNode('DequantizeLinear', [q.quantized, q.scale, q.zeroPoint], [dequantized], {
        name: ctx.names.next(`${plan.weight.name}_DequantizeLinear`),
        attributes: q.axis === undefined ? [] : [makeAttrInt('axis', q.axis)],
      }),
    );
    cache.set(q, dequantized);
  }
  plan.node.input[1] = dequantized;
  if (plan.bias !== undefined) {
    const bias = quantizeBias(plan.bias.data, inputParams.scale, q.scales);
    const perChannel = q.axis !== undefined;
    const dims = perChannel ? [bias.scales.length] : [];
    const base = ctx.names.next(`${plan.bias.name}_quantized`);
    const scale = ctx.names.next(`${base}_scale`);
    const zeroPoint = ctx.names.next(`${base}_zero_point`);
    const output = ctx.names.next(`${plan.bias.name}_DequantizeLinear_Output`);
    ctx.addInitializer(makeInitializer(base, bias.data, plan.bias.dims, TensorDataType.INT32));
    ctx.addInitializer(
      makeInitializer(
        scale,
        perChannel ? bias.scales : bias.scales.subarray(0, 1),
        dims,
        TensorDataType.FLOAT,
      ),
    );
    ctx.addInitializer(
      makeInitializer(
        zeroPoint,
        new Int32Array(perChannel ? bias.scales.length : 1),
        dims,
        TensorDataType.INT32,
      ),
    );
    ctx.graph.node.push(
      makeNode('DequantizeLinear', [base, scale, zeroPoint], [output], {
        name: ctx.names.next(`${plan.bias.name}_DequantizeLinear`),
        attributes: perChannel ? [makeAttrInt('axis', 0)] : [],
      }),
    );
    plan.node.input[2] = output;
  }
  return q;
}
