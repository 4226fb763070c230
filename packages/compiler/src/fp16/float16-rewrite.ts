import {
  AttributeType,
  TensorDataType,
  encodeTensor,
  getAttribute,
  makeAttrInt,
  makeAttrTensor,
  makeNode,
} from '../onnx/index.js';
import type { OnnxNode, UniqueNameGenerator } from '../onnx/index.js';
import type { GraphContext } from '../simplify/graph-context.js';
import { requiredPrecision } from './fp16-plan.js';
import type { Fp16Plan, Precision } from './fp16-plan.js';
import { toFloat16Bits, toFloat16Tensor } from './float16-values.js';
import type { Float16Stats } from './float16-values.js';

/**
 * Applies an {@link Fp16Plan} to the graph in place: routes every float value
 * to each reader in the precision it needs (adding shared Cast nodes), renames
 * float16 producers of pinned values (graph outputs, subgraph reads) so the
 * pinned name is the float32 Cast output, and converts initializers, Constant
 * values and Cast targets of the float16 region. Returns the Casts added.
 *
 * @example
 * const stats = { clamped: 0, flushed: 0 };
 * rewriteToFloat16(ctx, planFloat16(ctx, types, options), UniqueNameGenerator.forModel(model), stats);
 */
export function rewriteToFloat16(
  ctx: GraphContext,
  plan: Fp16Plan,
  names: UniqueNameGenerator,
  stats: Float16Stats,
): { castsInserted: number; convertedConstants: number } {
  const { graph } = ctx;
  const isFloat = (name: string): boolean => plan.types.get(name) === TensorDataType.FLOAT;
  const originalNodes = [...graph.node];
  const casts: OnnxNode[] = [];
  const castMemo = new Map<string, string>();

  const produced = (name: string): Precision => {
    const producer = ctx.producers.get(name);
    if (producer !== undefined) return plan.fp16Nodes.has(producer) ? 'fp16' : 'fp32';
    return plan.convertedInitializers.has(name) ? 'fp16' : 'fp32';
  };
  const addCast = (from: string, to: string, target: Precision): void => {
    const attributes = [
      makeAttrInt('to', target === 'fp16' ? TensorDataType.FLOAT16 : TensorDataType.FLOAT),
    ];
    casts.push(makeNode('Cast', [from], [to], { name: names.next(`${to}_cast`), attributes }));
  };

  // Pinned names must keep meaning float32: a float16 producer writes a new name, a Cast restores the old.
  const producedName = new Map<string, string>();
  for (const node of originalNodes) {
    if (!plan.fp16Nodes.has(node)) continue;
    node.output.forEach((name, i) => {
      if (name === '' || !isFloat(name)) return;
      if (!ctx.graphOutputs.has(name) && !ctx.subgraphReferences.has(name)) return;
      const half = names.next(`${name}_fp16`);
      node.output[i] = half;
      producedName.set(name, half);
      addCast(half, name, 'fp32');
      castMemo.set(`${name}|fp32`, name);
    });
  }
  const nameIn = (name: string, target: Precision): string => {
    const source = producedName.get(name) ?? name;
    if (produced(name) === target) return source;
    const key = `${name}|${target}`;
    let cast = castMemo.get(key);
    if (cast === undefined) {
      cast = names.next(`${name}_${target}`);
      addCast(source, cast, target);
      castMemo.set(key, cast);
    }
    return cast;
  };

  for (const node of originalNodes) {
    node.input.forEach((name, i) => {
      if (name === '' || !isFloat(name)) return;
      const need = requiredPrecision(node, i, plan.fp16Nodes);
      node.input[i] = need === 'any' ? (producedName.get(name) ?? name) : nameIn(name, need);
    });
  }

  graph.initializer = graph.initializer.map((tensor) =>
    plan.convertedInitializers.has(tensor.name ?? '') ? toFloat16Tensor(tensor, stats) : tensor,
  );
  let convertedConstants = 0;
  for (const node of plan.fp16Nodes)
    if (convertNodeAttributes(node, stats)) convertedConstants += 1;
  // IR < 4 lists each initializer as an input too; its declared type must follow the data.
  for (const value of [...graph.valueInfo, ...graph.input]) {
    const name = value.name ?? '';
    const tensorType = value.type?.tensorType;
    if (tensorType && isFloat(name) && produced(name) === 'fp16' && !producedName.has(name))
      tensorType.elemType = TensorDataType.FLOAT16;
  }
  graph.node.push(...casts);
  return { castsInserted: casts.length, convertedConstants };
}

/**
 * Float16 versions of the float32 values a float16-region node carries in its
 * attributes: Constant and ConstantOfShape values, and Cast's `to`. Returns
 * true when a constant value was converted.
 */
function convertNodeAttributes(node: OnnxNode, stats: Float16Stats): boolean {
  if (node.opType === 'Cast') {
    const to = getAttribute(node, 'to');
    if (to?.type === AttributeType.INT && to.i === BigInt(TensorDataType.FLOAT))
      to.i = BigInt(TensorDataType.FLOAT16);
    return false;
  }
  if (node.opType !== 'Constant' && node.opType !== 'ConstantOfShape') return false;
  const attr = node.attribute[0];
  if (node.opType === 'ConstantOfShape' && attr === undefined) {
    // The default value is a float32 zero; spell out a float16 one.
    node.attribute = [
      makeAttrTensor('value', encodeTensor('', new Uint16Array(1), [1], TensorDataType.FLOAT16)),
    ];
    return true;
  }
  if (attr === undefined) return false;
  if (attr.name === 'value' && attr.t?.dataType === TensorDataType.FLOAT) {
    node.attribute = [makeAttrTensor('value', toFloat16Tensor(attr.t, stats))];
    return true;
  }
  if (attr.name === 'value_float' || attr.name === 'value_floats') {
    const values = attr.name === 'value_float' ? [attr.f ?? 0] : attr.floats;
    const dims = attr.name === 'value_float' ? [] : [values.length];
    const bits = toFloat16Bits(values, stats);
    node.attribute = [
      makeAttrTensor('value', encodeTensor('', bits, dims, TensorDataType.FLOAT16)),
    ];
    return true;
  }
  return false;
}
