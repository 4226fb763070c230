import { makeNode } from '../onnx/index.js';
import type { OnnxNode } from '../onnx/index.js';
import type { GraphContext } from './graph-context.js';

/** The three outputs of a DynamicQuantizeLinear node. */
export interface DynamicActivation {
  quantized: string;
  scale: string;
  zeroPoint: string;
}

const activationCaches = new WeakMap<GraphContext, Map<string, DynamicActivation>>();

/**
 * The uint8 form of activation `tensor`, computed at run time by ONNX DynamicQuantizeLinear
 * (opset 11; always uint8 asymmetric, range widened to include 0). onnxruntime quantizes each
 * activation once however many nodes read it, and so do we: the node is pushed to `emit` only
 * the first time. Names follow onnxruntime's `<x>_QuantizeLinear`, `<x>_quantized`, `<x>_scale`,
 * `<x>_zero_point`.
 *
 * @example
 * const a = quantizeActivationDynamic(ctx, 'input', nodes);
 * a.quantized; // 'input_quantized'
 */
export function quantizeActivationDynamic(
  ctx: GraphContext,
  tensor: string,
  emit: OnnxNode[],
): DynamicActivation {
  let cache = activationCaches.get(ctx);
  if (cache === undefined) activationCaches.set(ctx, (cache = new Map()));
  const cached = cache.get(tensor);
  if (cached !== undefined) return cached;
  const result: DynamicActivation = {
    quantized: ctx.names.next(`${tensor}_quantized`),
    scale: ctx.names.next(`${tensor}_scale`),
    zeroPoint: ctx.names.next(`${tensor}_zero_point`),
  };
  emit.push(
    makeNode(
      'DynamicQuantizeLinear',
      [tensor],
      [result.quantized, result.scale, result.zeroPoint],
      {
        name: ctx.names.next(`${tensor}_QuantizeLinear`),
      },
    ),
  );
  cache.set(tensor, result);
  return result;
}
