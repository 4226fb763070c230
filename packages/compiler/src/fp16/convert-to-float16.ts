import {
  DataLocation,
  OnnxError,
  TensorDataType,
  UniqueNameGenerator,
  opsetVersion,
  topologicalSort,
} from '../onnx/index.js';
import type { OnnxModel, OnnxNode } from '../onnx/index.js';
import { graphContext } from '../simplify/graph-context.js';
import { SimplifyError } from '../simplify/simplify-errors.js';
import { inferElemTypes } from './elem-types.js';
import { planFloat16 } from './fp16-plan.js';
import type { KeepFp32Reason } from './fp16-plan.js';
import { rewriteToFloat16 } from './float16-rewrite.js';
import { DEFAULT_FP16_OP_BLOCK_LIST } from './op-block-list.js';

/** Options of {@link convertToFloat16}. */
export interface ConvertToFloat16Options {
  /** Graph inputs and outputs stay float32 (Casts at the boundary). Only `true` is supported. */
  keepIoFloat32?: true;
  /** Op types kept float32; replaces {@link DEFAULT_FP16_OP_BLOCK_LIST} (spread it to extend it). */
  blockList?: readonly string[];
  /** Node names kept float32. */
  nodeBlockList?: readonly string[];
}

/** A node that handles float values but stays float32. */
export interface KeptFp32Node {
  name: string;
  opType: string;
  reason: KeepFp32Reason;
}

/** What {@link convertToFloat16} changed. */
export interface Float16Report {
  /** Float32 initializers stored as float16. */
  convertedInitializers: number;
  /** Constant / ConstantOfShape values stored as float16. */
  convertedConstants: number;
  keptFp32Nodes: KeptFp32Node[];
  /** Cast nodes added at graph inputs/outputs and around float32 nodes. */
  castsInserted: number;
  /** Finite values beyond ±65504 clamped to ±65504. */
  clampedValues: number;
  /** Non-zero values below 2^-24 (the smallest float16 subnormal) flushed to zero. */
  flushedValues: number;
}

/** Result of {@link convertToFloat16}. */
export interface Float16Result {
  model: OnnxModel;
  report: Float16Report;
}

/**
 * Converts a float32 model to float16 weights and compute, keeping the
 * model's interface float32: Casts are inserted after float inputs, before
 * float outputs and around nodes that stay float32 (block-listed ops, other
 * domains, control flow, nodes whose value types cannot be determined). Only
 * the main graph is converted. The input model is not modified.
 *
 * @throws {SimplifyError} `EF_COMPILE_FP16_OPTIONS`, `EF_COMPILE_FP16_OPSET` (opset < 6),
 *   `EF_COMPILE_FP16_EXTERNAL_DATA`, `EF_COMPILE_FP16_GRAPH`.
 * @example
 * const { model: half, report } = convertToFloat16(model, { keepIoFloat32: true });
 * report.convertedInitializers; // 6
 * await ort.InferenceSession.create(writeOnnxModel(half));
 */
export function convertToFloat16(
  input: OnnxModel,
  options: ConvertToFloat16Options = {},
): Float16Result {
  const { blockList, nodeBlockList } = checkOptions(options);
  const opset = opsetVersion(input);
  if (opset === undefined || opset < 6) {
    throw new SimplifyError(
      'EF_COMPILE_FP16_OPSET',
      `Cannot convert to float16: the model imports default-domain opset ${opset ?? 'none'}, 6 or later is needed.`,
      { opset },
    );
  }
  for (const tensor of input.graph.initializer) {
    if (tensor.dataType === TensorDataType.FLOAT && tensor.dataLocation === DataLocation.EXTERNAL) {
      throw new SimplifyError(
        'EF_COMPILE_FP16_EXTERNAL_DATA',
        `Cannot convert to float16: initializer '${tensor.name ?? ''}' keeps its data in an external file.`,
        { tensor: tensor.name },
      );
    }
  }
  const model = structuredClone(input);
  try {
    model.graph.node = topologicalSort(model.graph);
  } catch (err) {
    if (!(err instanceof OnnxError)) throw err;
    throw new SimplifyError(
      'EF_COMPILE_FP16_GRAPH',
      `Cannot convert to float16: ${err.message}`,
      { ...err.details },
      { cause: err },
    );
  }
  const ctx = graphContext(model);
  const plan = planFloat16(ctx, inferElemTypes(model.graph), { blockList, nodeBlockList });
  const stats = { clamped: 0, flushed: 0 };
  const { castsInserted, convertedConstants } = rewriteToFloat16(
    ctx,
    plan,
    UniqueNameGenerator.forModel(model),
    stats,
  );
  model.graph.node = topologicalSort(model.graph);
  return {
    model,
    report: {
      convertedInitializers: plan.convertedInitializers.size,
      convertedConstants,
      keptFp32Nodes: [...plan.kept].map(([node, reason]: [OnnxNode, KeepFp32Reason]) => ({
        name: node.name ?? '',
        opType: node.opType ?? '',
        reason,
      })),
      castsInserted,
      clampedValues: stats.clamped,
      flushedValues: stats.flushed,
    },
  };
}

function checkOptions(options: ConvertToFloat16Options): {
  blockList: Set<string>;
  nodeBlockList: Set<string>;
} {
  if (typeof options !== 'object' || options === null)
    throw new SimplifyError(
      'EF_COMPILE_FP16_OPTIONS',
      'convertToFloat16 options must be an object.',
    );
  const keepIo: unknown = options.keepIoFloat32;
  if (keepIo !== undefined && keepIo !== true) {
    throw new SimplifyError(
      'EF_COMPILE_FP16_OPTIONS',
      'convertToFloat16 only supports keepIoFloat32: true (devices feed and read float32 tensors).',
      { option: 'keepIoFloat32', value: keepIo },
    );
  }
  const stringList = (
    key: 'blockList' | 'nodeBlockList',
    fallback: readonly string[],
  ): Set<string> => {
    const value: unknown = options[key];
    if (value === undefined) return new Set(fallback);
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw new SimplifyError(
        'EF_COMPILE_FP16_OPTIONS',
        `convertToFloat16 option '${key}' must be an array of strings.`,
        { option: key },
      );
    }
    return new Set(value as string[]);
  };
  return {
    blockList: stringList('blockList', DEFAULT_FP16_OP_BLOCK_LIST),
    nodeBlockList: stringList('nodeBlockList', []),
  };
}
