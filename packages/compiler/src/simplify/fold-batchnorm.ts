import { getAttrFloat, getAttrInt, makeAttrFloat } from '../onnx/index.js';
import type { OnnxNode, UniqueNameGenerator } from '../onnx/index.js';
import { batchNormAffine, setNodeConstant } from './batchnorm-params.js';
import type { BatchNormAffine } from './batchnorm-params.js';
import {
  graphContext,
  isDefaultDomain,
  readFloat32Constant,
  removeNodes,
  soleConsumer,
} from './graph-context.js';
import type { GraphContext } from './graph-context.js';
import { knownRank } from './value-rank.js';

/**
 * Folds inference-mode BatchNormalization into the Conv, Gemm or MatMul(+Add)
 * before it: BN(x) = x * s + (beta - mean * s) with s = gamma / sqrt(var + eps),
 * so scaling the producer's weights per output channel by s and rewriting its
 * bias gives the same result with one node and one pass over memory fewer.
 */

/**
 * Folds every foldable BatchNormalization; returns how many.
 *
 * @example
 * foldBatchNorms(graphContext(model), UniqueNameGenerator.forModel(model)); // 3
 */
export function foldBatchNorms(ctx0: GraphContext, names: UniqueNameGenerator): number {
  let folded = 0;
  let ctx = ctx0;
  for (const bn of [...ctx.graph.node]) {
    if (bn.opType !== 'BatchNormalization') continue;
    const affine = batchNormAffine(ctx, bn);
    const input = bn.input[0] ?? '';
    const producer = ctx.producers.get(input);
    if (affine === undefined || producer === undefined || !isDefaultDomain(producer)) continue;
    // The producer's output changes meaning, so BN must be its only reader.
    if (soleConsumer(ctx, input) !== bn || producer.output[0] !== input) continue;
    const done =
      producer.opType === 'Conv'
        ? foldIntoConv(ctx, names, producer, affine)
        : producer.opType === 'Gemm'
          ? foldIntoGemm(ctx, names, producer, affine)
          : foldIntoMatMulAdd(ctx, names, producer, bn, affine);
    if (done === undefined) continue;
    // 'replaced-bn': the BN node itself became the bias Add; otherwise the producer takes BN's output.
    if (done !== 'replaced-bn') {
      done.output[0] = bn.output[0] as string;
      removeNodes(ctx.graph, [bn]);
    }
    folded += 1;
    ctx = graphContext(ctx.model);
  }
  return folded;
}

/** Conv weights are [M, C/group, k...]: scale each output channel's block, groups included. */
function foldIntoConv(
  ctx: GraphContext,
  names: UniqueNameGenerator,
  conv: OnnxNode,
  affine: BatchNormAffine,
): OnnxNode | undefined {
  const weight = readFloat32Constant(ctx, conv.input[1] ?? '');
  if (weight === undefined || weight.dims.length < 3) return undefined;
  const channels = weight.dims[0] as number;
  if (channels !== affine.scale.length) return undefined;
  const bias = optionalVector(ctx, conv.input[2], channels);
  if (bias === null) return undefined;
  const block = weight.data.length / channels;
  const newWeight = new Float32Array(weight.data.length);
  for (let m = 0; m < channels; m++) {
    const s = affine.scale[m] as number;
    for (let j = m * block; j < (m + 1) * block; j++) newWeight[j] = (weight.data[j] as number) * s;
  }
  const newBias = foldedBias(affine, bias, 1);
  const base = conv.name || conv.output[0] || 'conv';
  setNodeConstant(ctx, names, conv, 1, newWeight, weight.dims, `${base}.weight_bn_folded`);
  setNodeConstant(ctx, names, conv, 2, newBias, [channels], `${base}.bias_bn_folded`);
  return conv;
}

/**
 * Gemm: Y = alpha * A' * B' + beta * C. BN scales output feature n, which is
 * column n of B' (B[:, n] when transB = 0, row B[n, :] when transB = 1);
 * the new C is written with beta = 1 so the old beta is folded into it.
 */
function foldIntoGemm(
  ctx: GraphContext,
  names: UniqueNameGenerator,
  gemm: OnnxNode,
  affine: BatchNormAffine,
): OnnxNode | undefined {
  const weight = readFloat32Constant(ctx, gemm.input[1] ?? '');
  if (weight === undefined || weight.dims.length !== 2) return undefined;
  const transB = getAttrInt(gemm, 'transB', 0) !== 0;
  const [rows, cols] = weight.dims as [number, number];
  const features = transB ? rows : cols;
  if (features !== affine.scale.length) return undefined;
  const bias = optionalVector(ctx, gemm.input[2], features);
  if (bias === null) return undefined;
  const beta = getAttrFloat(gemm, 'beta', 1);
  const newWeight = new Float32Array(weight.data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = affine.scale[transB ? r : c] as number;
      newWeight[r * cols + c] = (weight.data[r * cols + c] as number) * s;
    }
  }
  const newBias = foldedBias(affine, bias, beta);
  const base = gemm.name || gemm.output[0] || 'gemm';
  setNodeConstant(ctx, names, gemm, 1, newWeight, weight.dims, `${base}.weight_bn_folded`);
  setNodeConstant(ctx, names, gemm, 2, newBias, [features], `${base}.bias_bn_folded`);
  gemm.attribute = gemm.attribute.filter((attr) => attr.name !== 'beta');
  gemm.attribute.push(makeAttrFloat('beta', 1));
  return gemm;
}

/**
 * MatMul(x, W[K, N]) [+ Add(b)] followed by BN over a rank-2 tensor: BN's
 * channel axis is then the column axis. (On rank 3+ the channel is axis 1,
 * not the columns, so the rank must be known to be 2.) Without an Add, the BN
 * node itself becomes the Add of the new bias.
 */
function foldIntoMatMulAdd(
  ctx: GraphContext,
  names: UniqueNameGenerator,
  producer: OnnxNode,
  bn: OnnxNode,
  affine: BatchNormAffine,
): OnnxNode | 'replaced-bn' | undefined {
  let matMul = producer;
  let add: OnnxNode | undefined;
  let biasIndex = -1;
  if (producer.opType === 'Add') {
    add = producer;
    const [left, right] = add.input as [string, string];
    const leftProducer = ctx.producers.get(left);
    const rightProducer = ctx.producers.get(right);
    if (leftProducer?.opType === 'MatMul' && ctx.constants.has(right)) {
      matMul = leftProducer;
      biasIndex = 1;
    } else if (rightProducer?.opType === 'MatMul' && ctx.constants.has(left)) {
      matMul = rightProducer;
      biasIndex = 0;
    } else return undefined;
    if (!isDefaultDomain(matMul) || soleConsumer(ctx, matMul.output[0] ?? '') !== add)
      return undefined;
  }
  if (matMul.opType !== 'MatMul') return undefined;
  const weight = readFloat32Constant(ctx, matMul.input[1] ?? '');
  if (weight === undefined || weight.dims.length !== 2) return undefined;
  if (knownRank(ctx, matMul.input[0] ?? '') !== 2) return undefined;
  const [rows, cols] = weight.dims as [number, number];
  if (cols !== affine.scale.length) return undefined;
  const bias = add === undefined ? undefined : optionalVector(ctx, add.input[biasIndex], cols);
  if (bias === null) return undefined;
  const newWeight = new Float32Array(weight.data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      newWeight[r * cols + c] = (weight.data[r * cols + c] as number) * (affine.scale[c] as number);
    }
  }
  const newBias = foldedBias(affine, bias, 1);
  const base = matMul.name || matMul.output[0] || 'matmul';
  setNodeConstant(ctx, names, matMul, 1, newWeight, weight.dims, `${base}.weight_bn_folded`);
  if (add !== undefined) {
    setNodeConstant(ctx, names, add, biasIndex, newBias, [cols], `${base}.bias_bn_folded`);
    return add;
  }
  // No Add to absorb the shift: the BN node turns into one, keeping its name and output.
  bn.opType = 'Add';
  bn.attribute = [];
  bn.input = [bn.input[0] as string, ''];
  setNodeConstant(ctx, names, bn, 1, newBias, [cols], `${base}.bias_bn_folded`);
  return 'replaced-bn';
}

/**
 * A bias that broadcasts along the last axis: absent (undefined), one value
 * per channel ([N] or [1, N]) or one for all ([] or [1]), expanded to N.
 * Null when present but not such a float32 constant.
 */
function optionalVector(
  ctx: GraphContext,
  name: string | undefined,
  length: number,
): Float64Array | undefined | null {
  if (name === undefined || name === '') return undefined;
  const value = readFloat32Constant(ctx, name);
  if (value === undefined) return null;
  const leading = value.dims.slice(0, -1);
  if (leading.some((dim) => dim !== 1) || value.dims.length > 2) return null;
  if (value.data.length === length) return Float64Array.from(value.data);
  if (value.data.length === 1) return new Float64Array(length).fill(value.data[0] as number);
  return null;
}

/** New bias: ((biasScale * b) - mean) * s + beta, in float64, stored float32. */
function foldedBias(
  affine: BatchNormAffine,
  bias: Float64Array | undefined,
  biasScale: number,
): Float32Array {
  const out = new Float32Array(affine.scale.length);
  for (let c = 0; c < out.length; c++) {
    const b = bias === undefined ? 0 : biasScale * (bias[c] as number);
    out[c] =
      (b - (affine.mean[c] as number)) * (affine.scale[c] as number) + (affine.beta[c] as number);
  }
  return out;
}
