import type { GraphContext } from './graph-context.js';

/** Ops whose output is rank 2 whatever their input (so no shape inference is needed). */
const RANK_TWO_OPS = new Set(['Flatten', 'Gemm']);

/**
 * The rank of value `name` when the model states it (graph input, output or
 * value_info with a shape), it is a constant, or its producer always yields
 * rank 2; undefined otherwise. Used where a rewrite is only valid for a rank.
 *
 * @example
 * knownRank(graphContext(model), 'flatten_out'); // 2
 */
export function knownRank(ctx: GraphContext, name: string): number | undefined {
  const constant = ctx.constants.get(name);
  if (constant !== undefined) return constant.dims.length;
  for (const value of [...ctx.graph.input, ...ctx.graph.valueInfo, ...ctx.graph.output]) {
    if (value.name !== name) continue;
    const shape = value.type?.tensorType?.shape;
    if (shape !== undefined) return shape.dim.length;
  }
  const producer = ctx.producers.get(name);
  if (producer !== undefined && RANK_TWO_OPS.has(producer.opType ?? '')) return 2;
  return undefined;
}
