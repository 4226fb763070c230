import { OnnxError, UniqueNameGenerator, topologicalSort } from '../onnx/index.js';
import type { OnnxModel } from '../onnx/index.js';
import { constantsToInitializers } from './constant-nodes.js';
import { foldConstants } from './constant-folding.js';
import { pruneValueInfo, removeDeadNodes, removeUnusedInitializers } from './dead-code.js';
import { foldBatchNorms } from './fold-batchnorm.js';
import { RemovalTally, graphContext } from './graph-context.js';
import { removePassThroughNodes } from './remove-passthrough.js';
import { SimplifyError } from './simplify-errors.js';

/** Options of {@link simplifyModel}; every rule is on by default. */
export interface SimplifyOptions {
  /** Fold BatchNormalization into a preceding Conv, Gemm or MatMul(+Add). */
  foldBatchNorm?: boolean;
  /** Remove Identity and inference-mode Dropout nodes. */
  removePassThrough?: boolean;
  /** Turn Constant nodes into initializers and evaluate constant subgraphs. */
  foldConstants?: boolean;
  /** Remove nodes whose outputs nothing reads, and unused initializers. */
  removeDeadCode?: boolean;
  /** Largest constant (in elements) folding may create; default 1,048,576. */
  maxFoldedElements?: number;
}

/** What {@link simplifyModel} changed. */
export interface SimplifyReport {
  /** BatchNormalization nodes folded into the node before them. */
  foldedBatchNorms: number;
  /** Nodes removed, by op type (BatchNormalization, Identity, Dropout, Constant, folded and dead nodes). */
  removedNodes: { opType: string; count: number }[];
  /** Nodes evaluated at compile time and replaced by initializers. */
  constantFolded: number;
  /** Constant nodes turned into initializers. */
  constantsToInitializers: number;
  /** Identity and Dropout nodes removed. */
  passThroughRemoved: number;
  /** Nodes removed because nothing read their outputs. */
  deadNodesRemoved: number;
  /** Initializers removed because nothing read them. */
  removedInitializers: number;
  nodesBefore: number;
  nodesAfter: number;
}

/** Result of {@link simplifyModel}. */
export interface SimplifyResult {
  model: OnnxModel;
  report: SimplifyReport;
}

const DEFAULT_MAX_FOLDED_ELEMENTS = 1 << 20;

/**
 * Simplifies a model for inference without changing what it computes (up to
 * float32 rounding of folded weights): Constant nodes become initializers,
 * Identity/Dropout go, constant subgraphs are evaluated, BatchNormalization
 * is folded into Conv/Gemm/MatMul weights, dead nodes and unused initializers
 * are removed. Only the main graph is rewritten; subgraphs and nodes of other
 * domains (`ai.onnx.ml`, `com.microsoft`, ...) are left as they are. The input
 * model is not modified.
 *
 * @throws {SimplifyError} `EF_COMPILE_SIMPLIFY_OPTIONS` for bad options,
 *   `EF_COMPILE_SIMPLIFY_GRAPH` for a graph with a cycle, a value produced twice or a missing input.
 * @example
 * const { model: simple, report } = simplifyModel(readOnnxModel(bytes));
 * report.foldedBatchNorms; // 3
 * writeOnnxModel(simple);
 */
export function simplifyModel(input: OnnxModel, options: SimplifyOptions = {}): SimplifyResult {
  const settings = checkOptions(options);
  const model = structuredClone(input);
  try {
    model.graph.node = topologicalSort(model.graph);
  } catch (err) {
    if (!(err instanceof OnnxError)) throw err;
    throw new SimplifyError(
      'EF_COMPILE_SIMPLIFY_GRAPH',
      `Cannot simplify: ${err.message}`,
      { ...err.details },
      { cause: err },
    );
  }
  const nodesBefore = model.graph.node.length;
  const names = UniqueNameGenerator.forModel(model);
  const tally = new RemovalTally();
  const report: SimplifyReport = {
    foldedBatchNorms: 0,
    removedNodes: [],
    constantFolded: 0,
    constantsToInitializers: 0,
    passThroughRemoved: 0,
    deadNodesRemoved: 0,
    removedInitializers: 0,
    nodesBefore,
    nodesAfter: 0,
  };
  if (settings.foldConstants)
    report.constantsToInitializers = constantsToInitializers(graphContext(model), tally);
  // Pass-through nodes first: an Identity between Conv and BatchNormalization would block the fold.
  if (settings.removePassThrough)
    report.passThroughRemoved = removePassThroughNodes(graphContext(model), tally);
  if (settings.foldConstants)
    report.constantFolded = foldConstants(graphContext(model), settings.maxFoldedElements, tally);
  if (settings.foldBatchNorm) {
    report.foldedBatchNorms = foldBatchNorms(graphContext(model), names);
    tally.add('BatchNormalization', report.foldedBatchNorms);
  }
  if (settings.removeDeadCode) {
    report.deadNodesRemoved = removeDeadNodes(graphContext(model), tally);
    report.removedInitializers = removeUnusedInitializers(graphContext(model));
  }
  pruneValueInfo(graphContext(model));
  report.removedNodes = tally.entries().filter((entry) => entry.count > 0);
  report.nodesAfter = model.graph.node.length;
  return { model, report };
}

function checkOptions(options: SimplifyOptions): Required<SimplifyOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new SimplifyError(
      'EF_COMPILE_SIMPLIFY_OPTIONS',
      'simplifyModel options must be an object.',
    );
  }
  const flag = (key: keyof SimplifyOptions): boolean => {
    const value = options[key];
    if (value === undefined) return true;
    if (typeof value !== 'boolean') {
      throw new SimplifyError(
        'EF_COMPILE_SIMPLIFY_OPTIONS',
        `simplifyModel option '${key}' must be a boolean.`,
        { option: key },
      );
    }
    return value;
  };
  const maxFoldedElements = options.maxFoldedElements ?? DEFAULT_MAX_FOLDED_ELEMENTS;
  if (!Number.isSafeInteger(maxFoldedElements) || maxFoldedElements < 0) {
    throw new SimplifyError(
      'EF_COMPILE_SIMPLIFY_OPTIONS',
      `simplifyModel option 'maxFoldedElements' must be a non-negative integer, got ${String(maxFoldedElements)}.`,
      { option: 'maxFoldedElements' },
    );
  }
  return {
    foldBatchNorm: flag('foldBatchNorm'),
    removePassThrough: flag('removePassThrough'),
    foldConstants: flag('foldConstants'),
    removeDeadCode: flag('removeDeadCode'),
    maxFoldedElements,
  };
}
