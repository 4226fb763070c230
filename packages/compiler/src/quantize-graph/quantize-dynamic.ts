import type { OnnxModel, OnnxNode } from '../onnx/index.js';
import { quantizeConvDynamic } from './dynamic-conv.js';
import { quantizeGemmDynamic } from './dynamic-gemm.js';
import { quantizeMatMulDynamic } from './dynamic-matmul.js';
import { GraphContext, isDefaultDomain, requireOpset } from './graph-context.js';
import { QuantizeGraphError } from './quantize-graph-errors.js';
import {
  initializerBytes,
  type QuantizedNodeReport,
  type QuantizeReport,
} from './quantize-report.js';
import type { QuantizedWeight } from './weight-quantization.js';

/** Op types {@link quantizeDynamic} can rewrite. */
export const DYNAMIC_OP_TYPES = ['MatMul', 'Gemm', 'Conv'] as const;
export type DynamicOpType = (typeof DYNAMIC_OP_TYPES)[number];

/** Recurrent ops onnxruntime only quantizes through com.microsoft contrib ops: reported, kept. */
const RECURRENT_OPS = new Set(['LSTM', 'GRU', 'RNN']);

/** Default {@link QuantizeDynamicOptions.minWeightElements}. */
export const DEFAULT_MIN_WEIGHT_ELEMENTS = 256;

/** Options of {@link quantizeDynamic}. */
export interface QuantizeDynamicOptions {
  /** Per-channel int8 MatMul/Gemm weights (one scale per output column). Default true. Conv is always per tensor. */
  perChannel?: boolean;
  /** Names of nodes to leave in float32. */
  nodesToExclude?: readonly string[];
  /** Op types to quantize; default MatMul, Gemm, Conv. */
  opTypes?: readonly DynamicOpType[];
  /**
   * Weights with fewer elements stay float32: DynamicQuantizeLinear + Mul + Cast cost more than
   * the bytes saved on a tiny layer. Default 256; 0 quantizes everything.
   */
  minWeightElements?: number;
}

/** Result of {@link quantizeDynamic}. */
export interface QuantizeDynamicResult {
  model: OnnxModel;
  report: QuantizeReport;
}

type Rewrite = { nodes: OnnxNode[]; weight: QuantizedWeight; weightName: string } | undefined;

/**
 * Dynamic int8 quantization, the graph onnxruntime's `quantize_dynamic` writes: weights become
 * int8 (MatMul/Gemm, symmetric, per channel by default) or uint8 (Conv, per tensor) initializers,
 * activations are quantized at run time by DynamicQuantizeLinear, and MatMulInteger/ConvInteger
 * results are rescaled to float. Nodes of other domains, subgraphs and LSTM/GRU stay as they are.
 * The input model is not modified. Run `simplifyModel` first (folded BatchNorm, no Identity).
 *
 * @throws {QuantizeGraphError} `EF_COMPILE_QUANT_OPSET` (opset < 11), `EF_COMPILE_QUANT_NOTHING`
 *   (no MatMul/Gemm/Conv with a float weight), `EF_COMPILE_QUANT_OPTIONS`.
 * @example
 * const { model: int8, report } = quantizeDynamic(simplifyModel(fp32).model);
 * report.weightBytesAfter / report.weightBytesBefore; // ~0.26 for an MLP
 * writeOnnxModel(int8);
 */
export function quantizeDynamic(
  input: OnnxModel,
  options: QuantizeDynamicOptions = {},
): QuantizeDynamicResult {
  const settings = checkDynamicOptions(options);
  requireOpset(input, 11, 'DynamicQuantizeLinear (dynamic quantization)');
  const model = structuredClone(input);
  const ctx = new GraphContext(model);
  ctx.nameNodes();
  const weightBytesBefore = initializerBytes(model);
  const quantizedNodes: QuantizedNodeReport[] = [];
  const replacedWeights = new Set<string>();
  let candidates = 0;
  const rewritten: OnnxNode[] = [];
  for (const node of model.graph.node) {
    const opType = node.opType ?? '';
    if (!isDefaultDomain(node)) {
      rewritten.push(node);
      continue;
    }
    if (RECURRENT_OPS.has(opType)) {
      ctx.keep(node, `kept fp32: onnxruntime's DynamicQuantize${opType} is com.microsoft-only`);
      rewritten.push(node);
      continue;
    }
    if (!(DYNAMIC_OP_TYPES as readonly string[]).includes(opType)) {
      rewritten.push(node);
      continue;
    }
    if (ctx.floatWeight(node.input[1]) !== undefined) candidates += 1;
    if (!settings.opTypes.has(opType)) {
      rewritten.push(node);
      continue;
    }
    if (settings.exclude.has(node.name ?? '')) {
      ctx.keep(node, 'kept fp32: listed in nodesToExclude');
      rewritten.push(node);
      continue;
    }
    const result = rewriteNode(ctx, node, settings);
    if (result === undefined) {
      rewritten.push(node);
      continue;
    }
    rewritten.push(...result.nodes);
    replacedWeights.add(result.weightName);
    quantizedNodes.push({
      name: node.name ?? '',
      opType,
      weight: result.weightName,
      scheme: result.weight.scheme,
    });
  }
  if (candidates === 0) {
    throw new QuantizeGraphError(
      'EF_COMPILE_QUANT_NOTHING',
      'The model has no MatMul, Gemm or Conv node with a float32 initializer weight: nothing to quantize.',
      { opTypes: [...settings.opTypes] },
    );
  }
  model.graph.node = rewritten;
  ctx.removeUnusedInitializers(replacedWeights);
  ctx.sortNodes();
  return {
    model,
    report: {
      quantizedNodes,
      keptFp32: ctx.keptFp32,
      weightBytesBefore,
      weightBytesAfter: initializerBytes(model),
    },
  };
}

function rewriteNode(
  ctx: GraphContext,
  node: OnnxNode,
  settings: { perChannel: boolean; minWeightElements: number },
): Rewrite {
  switch (node.opType) {
    case 'MatMul':
      return quantizeMatMulDynamic(ctx, node, settings);
    case 'Gemm':
      return quantizeGemmDynamic(ctx, node, settings);
    default:
      return quantizeConvDynamic(ctx, node, settings);
  }
}

function checkDynamicOptions(options: QuantizeDynamicOptions): {
  perChannel: boolean;
  exclude: Set<string>;
  opTypes: Set<string>;
  minWeightElements: number;
} {
  const opTypes = options.opTypes ?? DYNAMIC_OP_TYPES;
  for (const opType of opTypes) {
    if (!(DYNAMIC_OP_TYPES as readonly string[]).includes(opType)) {
      throw new QuantizeGraphError(
        'EF_COMPILE_QUANT_OPTIONS',
        `quantizeDynamic cannot quantize op type '${String(opType)}'; supported: ${DYNAMIC_OP_TYPES.join(', ')}.`,
        { opType },
      );
    }
  }
  const minWeightElements = options.minWeightElements ?? DEFAULT_MIN_WEIGHT_ELEMENTS;
  if (!Number.isSafeInteger(minWeightElements) || minWeightElements < 0) {
    throw new QuantizeGraphError(
      'EF_COMPILE_QUANT_OPTIONS',
      `minWeightElements must be a non-negative integer, got ${String(minWeightElements)}.`,
      { minWeightElements },
    );
  }
  return {
    perChannel: options.perChannel ?? true,
    exclude: new Set(options.nodesToExclude ?? []),
    opTypes: new Set(opTypes),
    minWeightElements,
  };
}
